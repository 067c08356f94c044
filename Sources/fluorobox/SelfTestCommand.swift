import ArgumentParser
import Appliance
import Foundation
import Panel
import StudyStore

/// `fluorobox selftest`: the device page's self-test, for a technician without a browser.
struct SelfTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check capture sources, models against their reference outputs, the store and destinations.",
        discussion: "The same checks as the panel's device page. Exits 0 when no check failed (skipped ones do not count), 1 otherwise."
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var output: JSONOutput

    func run() async throws {
        let (configuration, logger, store) = try common.openStoreWithContext()
        let hooks = PanelHooks.appliance(configuration: configuration, store: store, gate: nil, logger: logger)
        let report = await SelfTestReport.run(hooks.selfTestChecks())
        if try !output.printed(report) {
            print(report.text)
        }
        if !report.passed { throw ExitCode(1) }
    }
}
