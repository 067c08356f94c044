import ArgumentParser
import Appliance
import Foundation

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration keys and checks.",
        subcommands: [Keys.self, Check.self]
    )

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every configuration key with its environment variable and default.")

        @Flag(name: .long, help: "Print the Markdown table of docs/configuration.md.")
        var markdown = false

        func run() async throws {
            if markdown {
                print(ConfigurationKey.markdownTable, terminator: "")
                return
            }
            for key in ConfigurationKey.all {
                print("\(key.name) (\(key.environmentVariable), \(key.kind.rawValue), default: \(key.defaultValue.isEmpty ? "none" : key.defaultValue))")
                print("    \(key.summary)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read the configuration as the agent would and print the result; exits 1 on any warning."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            var file = common.config
            if file == nil, FileManager.default.fileExists(atPath: CommonOptions.defaultConfigPath) {
                file = CommonOptions.defaultConfigPath
            }
            let (configuration, warnings) = try ApplianceConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment)
            print("configuration file: \(file ?? "none (defaults and environment)")")
            print("dataDir: \(common.dataDir ?? configuration.dataDirectory)")
            print("log.level: \(configuration.logLevel)")
            print("language: \(configuration.language.rawValue) (overlay legend font \(configuration.analysis.overlayFontPath))")
            print("outbox.destinations: \(configuration.destinations.map(\.rawValue).joined(separator: ", "))")
            print("retention: soft \(configuration.retention.softLimit), hard \(configuration.retention.hardLimit), cap \(configuration.retention.maximumStoreBytes.map(String.init) ?? "none"), every \(configuration.retentionCheckIntervalSeconds)s")
            print("watch: \(configuration.watch.folder ?? "off")" + (configuration.watch.folder == nil ? "" : ", every \(configuration.watch.intervalSeconds)s, settle \(configuration.watch.settleSeconds)s, then \(configuration.watch.afterImport.rawValue)"))
            let usb = configuration.usb
            print("usb: " + (usb.enabled ? "capture from \(usb.device), formats \(usb.formats.map(\.name).joined(separator: ", ")), size \(usb.width.map { "\($0)x\(usb.height ?? 0)" } ?? "largest"), exposure change \(usb.exposure.changeThreshold) / still \(usb.exposure.stableThreshold) over \(usb.exposure.stableFrames) frames, \(usb.exposure.integrationFrames) averaged" : "off"))
            for warning in warnings { print("warning: \(warning)") }
            if !warnings.isEmpty { throw ExitCode(1) }
        }
    }
}
