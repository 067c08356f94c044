import Foundation
import Inference
import Logging
import StudyStore
import Sync
import USBCapture

/// What the agent's run state says at one moment, read once for `fluorobox status` and for the
/// panel's status page (which the self-test and the diagnostics bundle share).
struct AgentRunState: Sendable {
    /// run/agent.json, whether or not an agent still holds the folder.
    var agent: AgentStateFile.Contents?
    var usbLink: USBLinkState?
    var sync: [SyncStatus]

    static func read(_ files: RunStateFiles) -> AgentRunState {
        AgentRunState(agent: files.agentState(), usbLink: files.usbLink(), sync: files.syncStatuses())
    }

    /// The platform's view (skew) when sync has one, else the box's own plausibility check.
    static func clockProblem(sync: [SyncStatus]) -> String? {
        sync.lazy.compactMap(\.clockProblem).first ?? ClockCheck.problem()
    }

    /// The active package per task; none when the packages folder is not there yet.
    static func activeModels(folder: String, settings: ModelPackageSettings, logger: Logger) async throws -> [ActivationRecord] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try await ModelPackageStore.withStore(folder: folder, settings: settings, logger: logger, create: false) { try await $0.activations() }
    }

    /// Each task's shadow designation ([] without a packages folder).
    static func shadows(folder: String, settings: ModelPackageSettings, logger: Logger) async throws -> [ShadowDesignation] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try await ModelPackageStore.withStore(folder: folder, settings: settings, logger: logger, create: false) { try await $0.shadows() }
    }
}
