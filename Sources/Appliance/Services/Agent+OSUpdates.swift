import Foundation
import Logging
import Panel
import POSIXSupport
import StudyStore
import Sync

extension Agent {
    /// OS updates from the platform, beside model updates: their own client, the image's RAUC.
    func osUpdateService(store: StudyStore, settings: SyncSettings, activity: IntakeActivity, logger: Logger) throws -> OSUpdateService {
        let quietSeconds = configuration.os.quietMinutes * 60
        return OSUpdateService(
            client: try PlatformClient(settings: settings, counters: SyncCounters(), logger: logger),
            updater: OSUpdater(), directory: store.directory, intervalSeconds: configuration.os.updateIntervalSeconds,
            maintenanceWindow: configuration.os.maintenanceWindow, reboot: Self.reboot(configuration.os),
            busy: { await activity.busyReason(store: store, quietSeconds: quietSeconds) },
            reportTo: store, deviceID: settings.deviceID, logger: logger
        )
    }

    /// Runs the reboot command; a failure is thrown with what it printed.
    static func reboot(_ settings: OSUpdateSettings) -> @Sendable () async throws -> Void {
        let command = settings.rebootCommand
        return {
            guard let executable = command.first else { throw OSUpdateError(.unavailable, "no reboot command") }
            let output = try await BlockingIO.run { try RaucTool.run(executable, Array(command.dropFirst())) }
            guard output.status == 0 else { throw OSUpdateError(.unavailable, "\(command.joined(separator: " ")): \(output.reason)") }
        }
    }

    /// The slots as the panel shows them; nil without A/B slots.
    static func osSlots(_ updater: OSUpdater) async -> OSSlotsSummary? {
        guard let status = try? await BlockingIO.run({ try updater.status() }) else { return nil }
        return OSSlotsSummary(
            bootedSlot: status.booted, runningVersion: status.runningVersion,
            slots: status.slots.map { .init(name: $0.name, version: $0.version, state: $0.state.rawValue, bootsNext: $0.primary) },
            lastOutcome: status.outcome, waitingVersion: status.waitingSlot.map { $0.version ?? "?" }
        )
    }

    /// The OS as the heartbeat names it; nil without A/B slots.
    static func heartbeatOS(_ updater: OSUpdater) async -> DeviceHeartbeat.OS? {
        guard let status = try? await BlockingIO.run({ try updater.status() }), let version = status.runningVersion else { return nil }
        return DeviceHeartbeat.OS(version: version, bootedSlot: status.booted, lastOutcome: status.outcome)
    }
}
