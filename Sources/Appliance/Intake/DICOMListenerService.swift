import DICOMNetwork
import Logging
import ServiceLifecycle
import StudyStore
import Sync

/// Runs the DICOM listener in the agent: binds, records the port in run/agent.json, reports
/// ready, serves until graceful shutdown, then lets open associations finish for a moment. It
/// also takes the storage commitment reports `dimse` destinations' peers send on their own associations.
/// Beside it runs the reporter of storage commitments owed on a new association, and once the
/// backfill of query keys for instances stored before they were recorded.
public struct DICOMListenerService: Service {
    public static let name = "dicom-listener"

    let settings: DICOMListenerSettings
    let store: StudyStore
    let analyses: [String]
    let gate: ReadinessGate
    let agentState: AgentStateFile?
    /// Told of the listener, so an OS update's reboot waits while an association is open.
    let activity: IntakeActivity?
    let logger: Logger

    public init(
        settings: DICOMListenerSettings, store: StudyStore, analyses: [String] = [], gate: ReadinessGate,
        agentState: AgentStateFile?, activity: IntakeActivity? = nil, logger: Logger
    ) {
        self.settings = settings
        self.store = store
        self.analyses = analyses
        self.gate = gate
        self.agentState = agentState
        self.activity = activity
        self.logger = logger
    }

    public func run() async throws {
        let commitments = StoreCommitmentReceiver(
            store: store, sameAssociationGrace: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)), logger: logger
        )
        let archive = StoreInstanceArchive(store: store, logger: logger)
        let listener = DICOMListener(
            configuration: settings.acceptor, receiver: DICOMStoreReceiver(store: store, analyses: analyses, logger: logger),
            commitments: commitments, commitmentReports: DIMSECommitmentReports(store: store, logger: logger),
            queryRetrieve: QueryRetrieveSource(archive: archive, moveDestinations: settings.peers),
            worklist: StoreWorklistSource(store: store, settings: settings), logger: logger
        )
        let reporter = StorageCommitmentReporter(
            store: store, receiver: commitments, peers: settings.peers, aeTitle: settings.aeTitle, logger: logger
        )
        let port = try await listener.bind(host: settings.bindAddress, port: settings.port)
        activity?.watch(listener)
        agentState?.setListener("dicom", port: port)
        await gate.ready(Self.name)
        let reporting = Task { await reporter.run() }
        defer { reporting.cancel() }
        let backfill = Task { await archive.backfillQueryKeys() }
        defer { backfill.cancel() }
        try await withGracefulShutdownHandler {
            try await listener.serve()
        } onGracefulShutdown: {
            Task { await listener.close() }
        }
    }
}
