import Logging
import ServiceLifecycle
import StudyStore

/// Tells systemd when the agent is ready, pings its watchdog while the store answers, and
/// says when the agent is stopping. Also writes run/agent.json for `fluorobox status`.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let gate: ReadinessGate
    let store: StudyStore
    let agentState: AgentStateFile
    let logger: Logger
    /// True when the group stops for a restart of the services (the process goes on).
    let isRestarting: @Sendable () -> Bool

    public init(
        notifier: SystemdNotifier, gate: ReadinessGate, store: StudyStore, agentState: AgentStateFile, logger: Logger,
        isRestarting: @escaping @Sendable () -> Bool = { false }
    ) {
        self.notifier = notifier
        self.gate = gate
        self.store = store
        self.agentState = agentState
        self.logger = logger
        self.isRestarting = isRestarting
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await gate.waitUntilReady()
        }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        agentState.markReady()
        if let error = notifier.notify(["READY=1", "STATUS=serving"]) {
            logger.warning("could not notify systemd", metadata: ["error": "\(error)"])
        }
        logger.notice("agent ready", metadata: ["data_dir": "\(store.directory.path)"])

        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                while true {
                    guard let interval = notifier.watchdogInterval else {
                        try await Task.sleep(for: .seconds(3600))
                        continue
                    }
                    // Ping only while the store answers: a wedged database should get the agent restarted.
                    if store.isResponsive() {
                        notifier.notify(["WATCHDOG=1"])
                    } else {
                        logger.error("store did not answer; withholding the watchdog ping")
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } onGracefulShutdown: {
            // STOPPING would make systemd expect an exit (and kill after its timeout); a restart
            // of the services is a reload, ended by the next READY=1.
            if isRestarting() {
                notifier.notify(["RELOADING=1", "STATUS=restarting services"])
            } else {
                notifier.notify(["STOPPING=1", "STATUS=stopping"])
            }
        }
    }
}
