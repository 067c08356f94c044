import DICOM
import DICOMNetwork

/// The DICOM listener's settings (the `dicom.*` keys).
public struct DICOMListenerSettings: Sendable, Hashable {
    /// Whether `fluorobox serve` runs the listener at all.
    public var enabled = true
    /// 104 is DICOM's well-known port (PS3.8 annex G) and what modalities are preset to; the
    /// agent's service unit grants CAP_NET_BIND_SERVICE for it. 0 picks a free port (tests); the
    /// port in use is written to run/agent.json either way.
    public var port = 104
    public var bindAddress = "0.0.0.0"
    public var aeTitle = "FLUOROBOX"
    /// Empty accepts any calling AE title.
    public var acceptedCallingAETitles: [String] = []
    public var maximumPDULength = 262_144
    public var artimTimeoutSeconds: Double = 30
    public var idleTimeoutSeconds: Double = 120
    public var maximumAssociations = 8
    /// Connections not yet associated held at once (silent ones wait for ARTIM).
    public var maximumPendingConnections = 32
    /// Per peer IP address, for associations and for pending connections alike.
    public var maximumAssociationsPerPeer = 4
    public var maximumInstanceBytes = AcceptorConfiguration.defaultMaximumInstanceBytes
    /// Storage SOP classes accepted on top of ``SOPClass/defaultStorage``.
    public var extraSOPClasses: [String] = []
    /// DICOM application entities the box may open associations to: storage commitment reports
    /// go to the one whose AE title requested the commitment, when its own association has ended;
    /// C-MOVE sends only to these; only these may report storage commitments the box asked for
    /// on associations of their own.
    public var peers: [DICOMPeer] = []
    /// Modality of the worklist items made from registrations.
    public var worklistModality = "DX"
    /// Days a registration stays on the worklist while no image arrives with its accession.
    public var worklistDays = 7

    public init() {}

    /// The listener's acceptor settings.
    public var acceptor: AcceptorConfiguration {
        AcceptorConfiguration(
            aeTitle: aeTitle, acceptedCallingAETitles: acceptedCallingAETitles,
            storageSOPClasses: SOPClass.defaultStorage + extraSOPClasses.filter { !SOPClass.defaultStorage.contains($0) },
            transferSyntaxes: TransferSyntax.decodable, maximumPDULength: maximumPDULength,
            artimTimeout: .milliseconds(Int64(artimTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(idleTimeoutSeconds * 1000)),
            maximumAssociations: maximumAssociations, maximumPendingConnections: maximumPendingConnections,
            maximumPerPeer: maximumAssociationsPerPeer, maximumInstanceBytes: maximumInstanceBytes,
            acceptsStorageCommitment: true, commitmentReportAETitles: peers.map(\.aeTitle), servesQueryRetrieve: true,
            servesWorklist: true
        )
    }

    /// An AE title: 1 to 16 characters of printable ASCII without a backslash, not only spaces
    /// (PS3.5 table 6.2-1).
    public static func isValidAETitle(_ title: String) -> Bool {
        let bytes = Array(title.utf8)
        return (1...16).contains(bytes.count) && bytes.allSatisfy { (0x20...0x7E).contains($0) && $0 != 0x5C }
            && bytes.contains { $0 != 0x20 }
    }
}
