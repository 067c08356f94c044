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
    /// How long an established association may go without progress (see
    /// ``AssociationTimerHandler``) before it is aborted.
    public var idleTimeout: Duration
    /// Negotiated associations served at once; more are rejected (transient, local limit
    /// exceeded). A connection that has not associated yet does not take one of these.
    public var maximumAssociations: Int
    /// Connections still negotiating (no association yet, or rejected and not yet closed) held
    /// at once; more are closed as soon as they are accepted. ARTIM bounds how long each stays.
    public var maximumPendingConnections: Int
    /// Per peer IP address: at most this many associations, and separately at most this many
    /// connections still negotiating. One host on the LAN cannot take every slot.
    public var maximumPerPeer: Int
    /// Bytes of one C-STORE data set; past it the rest is read and dropped, nothing is kept,
    /// and the request is answered 0xA700 (refused: out of resources).
    public var maximumInstanceBytes: Int
    /// Whether the Storage Commitment Push Model SOP class is negotiated (the box as its SCP).
    public var acceptsStorageCommitment: Bool
    /// Calling AE titles (the peers of `dicom.peers`) whose storage commitment reports the box
    /// takes, as the push model's SCU, on associations they open proposing the SCP role (PS3.4
    /// J.3.3.1.3). They may associate for that even when ``acceptedCallingAETitles`` leaves them out.
    public var commitmentReportAETitles: [String]
    /// Whether Study Root Query/Retrieve (FIND, MOVE, GET) is negotiated; the listener needs
    /// an archive to answer from.
    public var servesQueryRetrieve: Bool
    /// Whether Modality Worklist FIND is negotiated; the listener needs a worklist to answer from.
    public var servesWorklist: Bool
    public var implementationClassUID: String
    public var implementationVersionName: String

    public init(
        aeTitle: String = "FLUOROBOX", acceptedCallingAETitles: [String] = [],
        storageSOPClasses: [String] = SOPClass.defaultStorage,
        transferSyntaxes: [TransferSyntax] = TransferSyntax.decodable,
        maximumPDULength: Int = 262_144, artimTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(120), maximumAssociations: Int = 8,
        maximumPendingConnections: Int = 32, maximumPerPeer: Int = 4,
        maximumInstanceBytes: Int = AcceptorConfiguration.defaultMaximumInstanceBytes,
        acceptsStorageCommitment: Bool = false, commitmentReportAETitles: [String] = [], servesQueryRetrieve: Bool = false,
        servesWorklist: Bool = false,
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
        self.maximumPendingConnections = maximumPendingConnections
        self.maximumPerPeer = maximumPerPeer
        self.maximumInstanceBytes = maximumInstanceBytes
        self.acceptsStorageCommitment = acceptsStorageCommitment
        self.commitmentReportAETitles = commitmentReportAETitles
        self.servesQueryRetrieve = servesQueryRetrieve
        self.servesWorklist = servesWorklist
        self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
    }

    /// The allowed range for ``maximumPDULength``: PS3.8 needs room for headers; the upper end
    /// bounds what one association may make the box buffer.
    public static let pduLengthRange = 4096...(16 * 1024 * 1024)

    /// 1 GiB: the reader refuses more than 1 GiB of decoded pixels anyway
    /// (``DICOMReadLimits/maximumPixelBytes``), and a radiograph is tens of megabytes.
    public static let defaultMaximumInstanceBytes = 1 << 30

    public var limits: PDULimits { PDULimits(maximumDataPDULength: maximumPDULength) }
}
