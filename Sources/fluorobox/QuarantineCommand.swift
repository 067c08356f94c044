import ArgumentParser
import Appliance
import Foundation
import StudyStore

/// What nobody could file (quarantine/), and a technician's clearing of it (audited).
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Show what quarantine/ holds against its bounds; clear it after a look (audited).",
        subcommands: [Show.self, Clear.self],
        defaultSubcommand: Show.self
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Files and bytes in quarantine/, and its bounds.")

        @OptionGroup var common: CommonOptions

        @OptionGroup var output: JSONOutput

        func run() async throws {
            let store = try common.openStore()
            let summary = try store.quarantineSummary()
            if try output.printed(summary) { return }
            print("Quarantine: \(summary.files) file(s), \(ByteCount.format(summary.bytes)) in \(store.directory.quarantinePath) "
                + "(bounds \(summary.maximumFiles) files, \(ByteCount.format(summary.maximumBytes)); the oldest go past them)")
            if let newest = summary.newest { print("Newest:     \(newest)") }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every file in quarantine/ (audited).")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let cleared = try common.openStore().clearQuarantine(by: AnalysisCommand.actor)
            print("Quarantine cleared: \(cleared.files) file(s), \(ByteCount.format(cleared.bytes)).")
        }
    }
}
