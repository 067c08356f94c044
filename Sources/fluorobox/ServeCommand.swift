import ArgumentParser
import Appliance
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

    func run() async throws {
        var configuration = try common.loadConfiguration()
        if let watchFolder { configuration.watch.folder = watchFolder }
        let logger = common.bootstrapLogging(level: configuration.logLevel)
        do {
            try await Agent(configuration: configuration, environment: ProcessInfo.processInfo.environment, logger: logger).run()
        } catch {
            logger.critical("agent failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
