import ArgumentParser
import Appliance
import Foundation
import Panel
import StudyStore

/// `fluorobox diagnostics`: the panel's diagnostics bundle (patient names redacted).
struct DiagnosticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnostics",
        abstract: "Versions, configuration without secrets, self-test, backlogs, audit log and log tails, patient names removed.",
        discussion: "Prints a summary; --json prints the whole bundle, --output writes it to a file (as the panel's download)."
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print the whole bundle as JSON.")
    var json = false

    @Option(name: .long, help: "Write the JSON bundle to this file.")
    var output: String?

    func run() async throws {
        let (configuration, logger, store) = try common.openStoreWithContext()
        let hooks = PanelHooks.appliance(configuration: configuration, store: store, gate: nil, logger: logger)
        let bundle = try await DiagnosticsBundle.gather(store: store, hooks: hooks)
        let data = try bundle.json()
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw ReportedFailure(description: "cannot write \(output): \(error.localizedDescription)")
            }
        }
        if json {
            FileHandle.standardOutput.write(data)
            print()
        } else {
            print(bundle.text)
            if let output { print("bundle written to \(output)") }
        }
    }
}
