import DICOMNetwork
import Logging
import StudyStore

extension SyncService {
    /// The service name of a `dimse` destination's sync.
    public static func dimseName(_ peer: DICOMPeer) -> String { "sync-dimse-\(peer.aeTitle)" }

    /// C-STORE to one peer of `dicom.peers`; each runs on its own, like every destination.
    public static func dimse(
        store: StudyStore, peer: DICOMPeer, settings: SyncSettings, onReady: @escaping @Sendable () async -> Void, logger: Logger
    ) -> SyncService {
        let counters = SyncCounters()
        let destination = DIMSEDestination(peer: peer, settings: settings, counters: counters, store: store, logger: logger)
        return SyncService(
            store: store, destination: destination, settings: settings, counters: counters,
            linkChanges: settings.watchNetworkChanges ? NetworkChangeWatcher.start(logger: logger) : nil,
            onReady: onReady, logger: logger
        )
    }
}
