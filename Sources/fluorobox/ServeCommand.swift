import ArgumentParser
import Appliance
import StudyStore
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the agent: recover the store, take intake, keep the store within its limits.",
        discussion: "Stops gracefully on SIGTERM or SIGINT. Under systemd (Type=notify) it reports readiness and pings the watchdog."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Watch this folder for DICOM, JPEG and PNG files; overrides watch.folder.")
    var watchFolder: String?

    @Option(name: .long, help: "Port of the DICOM listener (0 picks a free one); overrides dicom.port.")
    var dicomPort: Int?

    @Option(name: .long, help: "Port of the status panel (0 picks a free one; the port in use is in run/agent.json); overrides panel.port.")
    var panelPort: Int?

    @Option(name: .long, help: "Base URL of the platform (fluorobox-hub) to sync to; overrides sync.hubURL.")
    var hubURL: String?

    func run() async throws {
        var configuration = try common.loadConfiguration()
        if let hubURL { configuration.sync.hubURL = hubURL }
        if let watchFolder { configuration.watch.folder = watchFolder }
        if let dicomPort {
            guard (0...65535).contains(dicomPort) else { throw ValidationError("--dicom-port must be from 0 to 65535") }
            configuration.dicom.port = dicomPort
        }
        if let panelPort {
            guard (0...65535).contains(panelPort) else { throw ValidationError("--panel-port must be from 0 to 65535") }
            configuration.panel.port = panelPort
        }
        let logger = common.bootstrapLogging(level: configuration.logLevel, file: AgentLogFile(directory: DataDirectory(path: configuration.dataDirectory)))
        do {
            try await Agent(configuration: configuration, environment: ProcessInfo.processInfo.environment, logger: logger).run()
        } catch {
            logger.critical("agent failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
