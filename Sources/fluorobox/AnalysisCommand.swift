import ArgumentParser
import Appliance
import Foundation
import StudyStore

/// A technician's view of analyses that failed for good, and the two things to do about one.
struct AnalysisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis",
        abstract: "List analyses that failed for good; retry or dismiss one (audited).",
        subcommands: [Failed.self, Retry.self, Dismiss.self],
        defaultSubcommand: Failed.self
    )

    /// Who a command-line action is audited as.
    static var actor: String {
        "technician (command line, uid \(getuid()))"
    }

    struct Failed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "failed", abstract: "Analyses that failed for good and were not dismissed, newest first.")

        @OptionGroup var common: CommonOptions

        @OptionGroup var output: JSONOutput

        func run() async throws {
            let failed = try common.openStore().failedAnalyses()
            if try output.printed(failed) { return }
            if failed.isEmpty {
                print("No failed analyses need attention.")
                return
            }
            for analysis in failed {
                print("#\(analysis.id)  \(analysis.task)  \(analysis.sopInstanceUID)  attempts \(analysis.attempts)")
                print("    \(analysis.reason)")
            }
            print("\n`fluorobox analysis retry ID` runs one again; `fluorobox analysis dismiss ID` keeps it failed and stops listing it.")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue a failed analysis again with a fresh count of attempts.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The analysis number (from `fluorobox analysis failed`).")
        var id: Int64

        func run() async throws {
            try common.openStore().retryAnalysis(id: id, by: AnalysisCommand.actor)
            print("Analysis \(id) is queued again.")
        }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dismiss", abstract: "Keep a failed analysis failed and stop listing it as needing attention.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The analysis number (from `fluorobox analysis failed`).")
        var id: Int64

        func run() async throws {
            try common.openStore().dismissAnalysis(id: id, by: AnalysisCommand.actor)
            print("Analysis \(id) is dismissed.")
        }
    }
}
