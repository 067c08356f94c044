import ArgumentParser
import Appliance
import Foundation
import StudyStore

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register the next patient for USB capture (ID or name, birth date, sex, worklist note).",
        discussion: """
            The next exposure captured from the USB device is stored with these details. Registering again \
            makes the new patient the next capture's; the earlier one stays on the modality worklist. Every \
            registration is a worklist item with its own Accession Number; an image arriving with it (from the \
            modality or a USB capture) is linked to the registration (`--show` lists the links). Without a \
            registration a capture is stored with clearly marked placeholders (UNKNOWN^UNREGISTERED). Works while \
            `fluorobox serve` runs on the same folder.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Patient ID.")
    var id: String?

    @Option(name: .long, help: "Patient name, DICOM style: FAMILY^GIVEN (\"Doe, Jane\" is accepted too).")
    var name: String?

    @Option(name: .long, help: "Birth date, YYYYMMDD or YYYY-MM-DD.")
    var birthDate: String?

    @Option(name: .long, help: "Sex: M, F or O.")
    var sex: String?

    @Option(name: .long, help: "Worklist note (procedure, referral); becomes the study description.")
    var note: String?

    @Flag(name: .long, help: "Show the pending registration and the recent ones instead.")
    var show = false

    @Flag(name: .long, help: "Cancel the pending registration.")
    var cancel = false

    @Option(name: .long, help: "Cancel the registration with this number (as --show lists it) and withdraw its worklist item.")
    var cancelID: Int64?

    @OptionGroup var output: JSONOutput

    func validate() throws {
        if show || cancel || cancelID != nil { return }
        guard id?.isEmpty == false || name?.isEmpty == false else {
            throw ValidationError("give --id or --name (or --show / --cancel)")
        }
        if let birthDate, Self.normalisedDate(birthDate) == nil {
            throw ValidationError("--birth-date must be a date such as 19800131 or 1980-01-31")
        }
        if let sex, !["M", "F", "O"].contains(sex.uppercased()) {
            throw ValidationError("--sex must be M, F or O")
        }
        for (label, value, limit) in [("--id", id, 64), ("--name", name, 64), ("--note", note, 64)] {
            if let value, value.count > limit || value.contains(where: { $0.isNewline || $0 == "\\" }) {
                throw ValidationError("\(label) must be at most \(limit) characters on one line, without backslashes")
            }
        }
    }

    func run() async throws {
        let store = try common.openStore(create: true)
        if cancel {
            let cancelled = try store.cancelPendingRegistration()
            print(cancelled ? "pending registration cancelled" : "no pending registration")
            return
        }
        if let cancelID {
            let cancelled = try store.cancelRegistration(id: cancelID)
            print(cancelled ? "registration \(cancelID) cancelled; its worklist item is withdrawn" : "no open registration \(cancelID)")
            return
        }
        if show {
            let pending = try store.pendingRegistration()
            let recent = try store.registrations()
            if try output.printed(RegistrationDocument(pending: pending, recent: recent)) { return }
            if let pending {
                print("next capture: \(Self.describe(pending))")
            } else {
                print("next capture: nobody registered (it will be stored as \(USBCaptureDocument.unknownPatientName))")
            }
            for record in recent {
                print("#\(record.id ?? 0) \(record.accessionNumber.map { "accession \($0)" } ?? "no accession"): \(Self.state(record)); \(Self.describe(record))")
            }
            return
        }
        let record = try store.register(RegistrationRecord(
            patientID: id, patientName: name.map(Self.personName), patientBirthDate: birthDate.flatMap(Self.normalisedDate),
            patientSex: sex?.uppercased(), worklistNote: note
        ))
        if try !output.printed(record) {
            print("registered for the next capture: \(Self.describe(record)); worklist accession \(record.accessionNumber ?? "")")
        }
    }

    /// Where a registration stands: linked to its image, used, cancelled, or on the worklist.
    static func state(_ record: RegistrationRecord) -> String {
        if let instance = record.linkedInstanceID { return "linked to instance \(instance)" }
        if record.consumedAt != nil { return "used by a USB capture" }
        if record.cancelledAt != nil { return "cancelled" }
        return "scheduled on the worklist"
    }

    static func describe(_ record: RegistrationRecord) -> String {
        [record.patientID.map { "ID \($0)" }, record.patientName, record.patientBirthDate.map { "born \($0)" },
         record.patientSex.map { "sex \($0)" }, record.worklistNote.map { "note \"\($0)\"" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// "Doe, Jane" → "Doe^Jane"; names already in DICOM form stay as they are.
    static func personName(_ text: String) -> String {
        guard !text.contains("^"), let comma = text.firstIndex(of: ",") else { return text }
        let family = text[..<comma].trimmingCharacters(in: .whitespaces)
        let given = text[text.index(after: comma)...].trimmingCharacters(in: .whitespaces)
        return family + "^" + given
    }

    static func normalisedDate(_ text: String) -> String? {
        let digits = text.replacingOccurrences(of: "-", with: "")
        guard digits.count == 8, digits.allSatisfy(\.isNumber),
              let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)), let day = Int(digits.suffix(2)),
              (1900...2100).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        return digits
    }
}

struct RegistrationDocument: Encodable {
    var pending: RegistrationRecord?
    var recent: [RegistrationRecord]
}
