import Inference
import Logging
import StudyStore
import Sync

extension Agent {
    /// The heartbeat beside platform sync: its own client, the active model packages read from
    /// the packages folder on each beat, and each reply's clock fed to `platformSync`'s check.
    func heartbeatService(store: StudyStore, settings: SyncSettings, platformSync: SyncService, logger: Logger) throws -> HeartbeatService {
        let configuration = configuration
        return HeartbeatService(
            client: try PlatformClient(settings: settings, counters: SyncCounters(), logger: logger),
            store: store, intervalSeconds: settings.heartbeatIntervalSeconds, agentVersion: Self.version,
            models: { await Self.heartbeatModels(configuration: configuration, logger: logger) },
            os: { await Self.heartbeatOS(OSUpdater()) },
            onPlatformTime: { reading in platformSync.checkClock(platformTime: reading.platformTime, now: reading.localTime) },
            logger: logger
        )
    }

    /// Each task's active package as the heartbeat names it; a package whose manifest does not
    /// say it is clinical counts as a demonstration, as everywhere else.
    static func heartbeatModels(configuration: ApplianceConfiguration, logger: Logger) async -> [DeviceHeartbeat.Model] {
        await ApplianceSystemSummary.activeUses(configuration: configuration, logger: logger).map {
            DeviceHeartbeat.Model(
                task: $0.task, id: $0.package.id, version: $0.package.version, use: $0.use == .clinical ? "clinical" : "demonstration"
            )
        }
    }
}
