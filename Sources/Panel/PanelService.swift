import Foundation
import Hummingbird
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// The panel as one of the agent's services: serves until graceful shutdown.
public struct PanelService: Service {
    public static let name = "panel"

    let makePanel: @Sendable (PanelCredentials) -> PanelApplication
    let dataDirectory: String
    let settings: PanelSettings
    let logger: Logger
    let onServing: @Sendable (Int) async -> Void

    /// `makePanel` gets the credentials once they are read (or made, at first start: the slow
    /// hashing happens inside the service, so intake is ready without waiting for it).
    public init(
        dataDirectory: String, settings: PanelSettings, logger: Logger,
        makePanel: @escaping @Sendable (PanelCredentials) -> PanelApplication,
        onServing: @escaping @Sendable (Int) async -> Void
    ) {
        self.dataDirectory = dataDirectory
        self.settings = settings
        self.logger = logger
        self.makePanel = makePanel
        self.onServing = onServing
    }

    /// Serves until graceful shutdown. The panel only observes: when its credentials cannot be
    /// prepared it logs why and stays down, when its port cannot be bound (taken by another
    /// program) it tries again; intake goes on regardless.
    public func run() async throws {
        let credentials: PanelCredentials
        do {
            let (dataDirectory, settings, logger) = (self.dataDirectory, self.settings, self.logger)
            credentials = try await BlockingIO.run {
                try Self.prepareCredentials(dataDirectory: dataDirectory, settings: settings, logger: logger)
            }
        } catch {
            logger.error("panel not started: its credentials cannot be prepared", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let panel = makePanel(credentials)
        if panel.settings.listenAddress != panel.settings.bindAddress {
            logger.warning(
                "panel on 127.0.0.1 only: no TLS certificate is configured (panel.tlsCertificate, panel.tlsKey) and panel.plainHttpOnLan is off",
                metadata: ["bindAddress": "\(panel.settings.bindAddress)"]
            )
        }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await panel.makeApplication(onServing: onServing).run()
                return
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                panel.logger.error(
                    "panel cannot serve; trying again in \(Int(retrySeconds)) s",
                    metadata: ["address": "\(panel.settings.listenAddress):\(panel.settings.port)", "error": "\(error)"]
                )
                try? await gracefulShutdownOrSleep(seconds: retrySeconds)
            }
        }
    }

    var retrySeconds: Double { 30 }

    private func gracefulShutdownOrSleep(seconds: Double) async throws {
        try await cancelWhenGracefulShutdown {
            try await Task.sleep(for: .seconds(seconds))
        }
    }

    /// Reads the credentials, making them at first start; new passwords are printed once to
    /// the console (`console`, stdout by default) and nowhere else: not to the log, whose lines
    /// land in run/agent.log and the diagnostics bundle.
    public static func prepareCredentials(
        dataDirectory: String, settings: PanelSettings, logger: Logger,
        console: @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
    ) throws(PanelError) -> PanelCredentials {
        let (credentials, passwords) = try PanelCredentials.loadOrCreate(dataDirectory: dataDirectory, rounds: settings.passwordHashRounds)
        for role in PanelRole.allCases {
            guard let password = passwords[role] else { continue }
            // Straight to the console, unbuffered: under systemd stdout is a pipe to the journal.
            console("panel first start: the \(role.rawValue) password is \(password) (shown once; `fluorobox panel-password` sets a new one)")
        }
        if !passwords.isEmpty {
            logger.notice("panel first start: new passwords were printed on the console")
        }
        return credentials
    }
}
