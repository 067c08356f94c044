import Foundation

/// One person due for screening at an institution, as the region's operator imported them
/// (`fluorobox-hub screening import`). The hub gives each entry an Accession Number unique in
/// its database (the region); the institution's boxes offer it as a modality worklist item and
/// link the image that comes back with it.
public struct ScreeningEntry: Sendable, Hashable, Codable {
    /// The institution's ИНН or OID, as `device set-institution` records it for its devices.
    public var institution: String
    /// `S` and a number from the hub's sequence (DICOM SH, at most 16 characters); nil before
    /// the store gave it one.
    public var accessionNumber: String?
    public var patientID: String
    /// DICOM PN: `family^given`, UTF-8.
    public var patientName: String
    /// YYYYMMDD.
    public var birthDate: String
    /// M, F or O.
    public var sex: String
    /// YYYYMMDD: the day the person is due.
    public var dueDate: String
    public var note: String?

    public init(
        institution: String, accessionNumber: String? = nil, patientID: String, patientName: String, birthDate: String, sex: String,
        dueDate: String, note: String?
    ) {
        self.institution = institution
        self.accessionNumber = accessionNumber
        self.patientID = patientID
        self.patientName = patientName
        self.birthDate = birthDate
        self.sex = sex
        self.dueDate = dueDate
        self.note = note
    }

    /// The first accession the hub gives; later ones count up (`S100000001`, …), so every
    /// accession has the same length until the region made 900 million entries.
    static let accessionBase: Int64 = 100_000_000

    static func accession(sequence: Int64) -> String { "S\(accessionBase + sequence)" }

    /// Whether `text` is an accession the hub makes (what `screening remove` accepts).
    public static func isAccession(_ text: String) -> Bool {
        text.utf8.count <= 16 && text.first == "S" && text.utf8.count >= 2 && text.utf8.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }

    /// The entry's identity within its institution: re-importing the same person with the same
    /// due date keeps the entry and its accession.
    var identity: String { "\(patientID)|\(dueDate)" }

    /// A one-line description for the audit and the command line.
    var summary: String {
        "\(accessionNumber ?? "-") \(patientID) \(patientName) due \(dueDate)"
    }

    /// The audit row of its removal (subject: the institution).
    func removalAuditEntry(by actor: String, at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(at: at, actor: actor, action: ConsoleAuditEntry.Action.screeningRemoved, subject: institution, detail: summary)
    }
}
