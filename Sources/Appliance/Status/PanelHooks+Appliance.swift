import Logging
import Panel
import StudyStore

extension PanelHooks {
    /// What the agent shows in the panel and runs in the self-test; `fluorobox selftest` and
    /// `fluorobox diagnostics` use the same (with `gate` nil and no restart).
    public static func appliance(
        configuration: ApplianceConfiguration, store: StudyStore, gate: ReadinessGate?, logger: Logger,
        restart: (@Sendable () async -> Void)? = nil
    ) -> PanelHooks {
        PanelHooks(
            system: { await ApplianceSystemSummary.gather(configuration: configuration, store: store, logger: logger) },
            isReady: { await gate?.isReady ?? false },
            selfTestChecks: { ApplianceSelfTest.checks(configuration: configuration, store: store, logger: logger) },
            configuration: { ApplianceSystemSummary.configurationValues(configuration) },
            logFiles: [AgentLogFile.path(in: store.directory) + ".1", AgentLogFile.path(in: store.directory)],
            journalUnits: ["fluorobox.service"],
            restartServices: restart,
            demonstrationModels: { await ApplianceSystemSummary.demonstrationModels(configuration: configuration, logger: logger) },
            osSlots: { await Agent.osSlots(OSUpdater()) },
            rebootIntoOSUpdate: Agent.reboot(configuration.os)
        )
    }
}
