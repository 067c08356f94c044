import DICOM

/// What the C-STORE SCP accepts and how long it waits.
public struct AcceptorConfiguration: Sendable, Hashable {
    /// The box's own AE title; a request calling any other is rejected.
    public var aeTitle: String
    /// Calling AE titles allowed to associate; empty allows any.
    public var acceptedCallingAETitles: [String]
    /// Storage SOP classes accepted (Verification is always accepted).
    public var storageSOPClasses: [String]
    /// Transfer syntaxes accepted: only ones the box can decode, so a modality falls back to one of them.
    public var transferSyntaxes: [TransferSyntax]
    /// The maximum P-DATA-TF length the box advertises and enforces on what it receives.
    public var maximumPDULength: Int
    /// How long to wait for the A-ASSOCIATE-RQ after a connection opens, and for the peer to
    /// close after a release or rejection (the ARTIM timer, PS3.8 section 9.1.5).
    public var artimTimeout: Duration
    /// How long an established association may stay silent before it is aborted.
    public var idleTimeout: Duration
    /// Associations served at once; more are rejected (transient, local limit exceeded).
    public var maximumAssociations: Int
    public var implementationClassUID: String
    public var implementationVersionName: String

    public init(
        aeTitle: String = "FLUOROBOX", acceptedCallingAETitles: [String] = [],
        storageSOPClasses: [String] = SOPClass.defaultStorage,
        transferSyntaxes: [TransferSyntax] = TransferSyntax.decodable,
        maximumPDULength: Int = 262_144, artimTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(120), maximumAssociations: Int = 8,
        implementationClassUID: String = Part10Writer.implementationClassUID,
        implementationVersionName: String = Part10Writer.implementationVersionName
    ) {
        self.aeTitle = aeTitle
        self.acceptedCallingAETitles = acceptedCallingAETitles
        self.storageSOPClasses = storageSOPClasses
        self.transferSyntaxes = transferSyntaxes
        self.maximumPDULength = maximumPDULength
        self.artimTimeout = artimTimeout
        self.idleTimeout = idleTimeout
        self.maximumAssociations = maximumAssociations
        self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
    }

    /// The allowed range for ``maximumPDULength``: PS3.8 needs room for headers; the upper end
    /// bounds what one association may make the box buffer.
    public static let pduLengthRange = 4096...(16 * 1024 * 1024)

    public var limits: PDULimits { PDULimits(maximumDataPDULength: maximumPDULength) }
}
