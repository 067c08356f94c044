import ArgumentParser
import Appliance
import Foundation
import Logging
import POSIXSupport
import StudyStore

/// Options every command that touches a data folder takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "JSON configuration file (default: /etc/fluorobox/config.json when it exists).")
    var config: String?

    @Option(name: .long, help: "Data folder; overrides dataDir from the configuration.")
    var dataDir: String?

    @Flag(name: .long, help: "Log more to stderr.")
    var verbose = false

    static let defaultConfigPath = "/etc/fluorobox/config.json"

    /// Loads file, environment and flags; prints configuration warnings to stderr.
    func loadConfiguration() throws -> ApplianceConfiguration {
        var file = config
        if file == nil, FileManager.default.fileExists(atPath: Self.defaultConfigPath) {
            file = Self.defaultConfigPath
        }
        let (loaded, warnings) = try ApplianceConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment)
        for warning in warnings { printError("warning: \(warning)") }
        var configuration = loaded
        if let dataDir { configuration.dataDirectory = dataDir }
        return configuration
    }

    /// Sets up swift-log on stderr; tools log only warnings unless --verbose.
    /// `file`: the agent's run/agent.log, written as well as stderr.
    func bootstrapLogging(level: String?, file: AgentLogFile? = nil) -> Logger {
        let resolved = Logger.Level(rawValue: verbose ? "debug" : (level ?? "warning")) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = resolved
            guard let file else { return handler }
            return MultiplexLogHandler([handler, file.handler(label: label, level: resolved)])
        }
        return Logger(label: "fluorobox")
    }

    /// Loads the configuration, sets up quiet logging and opens the store for a tool (no
    /// recovery: that is the agent's job). Only `import` may create a new store.
    func openStore(create: Bool = false) throws -> StudyStore {
        try openStoreWithContext(create: create).store
    }

    /// ``openStore(create:)`` for a tool that also needs the configuration and the logger.
    func openStoreWithContext(create: Bool = false) throws -> (configuration: ApplianceConfiguration, logger: Logger, store: StudyStore) {
        let configuration = try loadConfiguration()
        let logger = bootstrapLogging(level: nil)
        return (configuration, logger, try StudyStore.open(configuration.storeConfiguration, logger: logger, createIfMissing: create))
    }

    /// The configured data folder's run state (flags and the running agent's files).
    func runStateFiles() throws -> RunStateFiles {
        RunStateFiles(directory: try loadConfiguration().storeConfiguration.dataDirectory)
    }
}

/// `--json` for a tool that prints a document either as JSON or as text for a person.
struct JSONOutput: ParsableArguments {
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    /// Prints `value` as JSON when `--json` was given; false leaves the text to the caller.
    func printed(_ value: some Encodable) throws -> Bool {
        guard json else { return false }
        try printJSON(value)
        return true
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Turns any error into a message on stderr and a non-zero exit, without a stack of Swift text.
struct ReportedFailure: Error, CustomStringConvertible {
    let description: String
}

func printJSON(_ value: some Encodable, compact: Bool = false) throws {
    let encoder = compact ? JSONEncoder.compact(escapingSlashes: false) : JSONEncoder.indented(escapingSlashes: false)
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
