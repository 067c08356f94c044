import Foundation
import Logging
import POSIXSupport
import StudyStore
import Synchronization

extension SyncService {
    /// The service name of platform sync in the agent's ServiceGroup and readiness gate.
    public static let platformName = "sync-platform"

    /// Platform sync as the agent runs it: the device API client, and the kernel's network
    /// changes watched when `watchNetworkChanges` is set.
    public static func platform(
        store: StudyStore, settings: SyncSettings, onReady: @escaping @Sendable () async -> Void, logger: Logger
    ) throws(SyncError) -> SyncService {
        let counters = SyncCounters()
        let client = try PlatformClient(settings: settings, counters: counters, logger: logger)
        var changes: LinkChangeCounter?
        if settings.watchNetworkChanges {
            changes = NetworkChangeWatcher.start(logger: logger)
        }
        var pseudonymiser: Pseudonymiser?
        if settings.pseudonymise {
            pseudonymiser = Pseudonymiser(key: try PseudonymKey.loadOrCreate(in: store.directory))
        }
        let destination = PlatformDestination(
            client: client, pseudonymiser: pseudonymiser, recodesLosslessly: settings.losslessUploads,
            copiesDirectory: UploadCopy.folder(in: store.directory), counters: counters
        )
        return SyncService(
            store: store, destination: destination, settings: settings,
            counters: counters, linkChanges: changes, onReady: onReady, logger: logger
        )
    }
}

extension SyncService {
    /// The service name of PACS sync (STOW-RS).
    public static let dicomwebName = "sync-dicomweb"

    /// STOW-RS to the configured PACS.
    public static func dicomweb(
        store: StudyStore, settings: SyncSettings, onReady: @escaping @Sendable () async -> Void, logger: Logger
    ) throws(SyncError) -> SyncService? {
        guard let url = settings.dicomwebURL else { return nil }
        let counters = SyncCounters()
        let destination = try DICOMwebDestination(baseURL: url, settings: settings, counters: counters, logger: logger)
        return SyncService(
            store: store, destination: destination, settings: settings, counters: counters,
            linkChanges: settings.watchNetworkChanges ? NetworkChangeWatcher.start(logger: logger) : nil,
            onReady: onReady, logger: logger
        )
    }
}

/// A thread that counts NETLINK_ROUTE messages until its counter is stopped (by the sync
/// service that owns it, when that service ends).
enum NetworkChangeWatcher {
    static func start(logger: Logger) -> LinkChangeCounter? {
        let socket: RouteChangeSocket
        do {
            socket = try RouteChangeSocket()
        } catch {
            logger.warning("cannot watch network changes; relying on the reachability probe", metadata: ["error": "\(error)"])
            return nil
        }
        let counter = LinkChangeCounter()
        counter.setWatching(true)
        Thread.detachNewThread {
            defer {
                socket.close()
                counter.setWatching(false)
            }
            // The socket's reads time out after 1 s, so a stop is seen within a second.
            while !counter.isStopRequested {
                do {
                    if try socket.waitForChange() { counter.increment() }
                } catch {
                    logger.warning("network change watch ended", metadata: ["error": "\(error)"])
                    return
                }
            }
        }
        return counter
    }
}
