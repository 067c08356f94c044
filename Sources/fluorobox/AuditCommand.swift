import ArgumentParser
import Appliance
import Foundation
import StudyStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log (intakes, conflicts, recovery, retention), newest first."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "How many events to show.")
    var limit = 50

    @OptionGroup var output: JSONOutput

    func run() async throws {
        let store = try common.openStore()
        let events = try store.auditEvents(limit: limit)
        if try output.printed(events) { return }
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for event in events {
            print("\(time.string(from: event.at)) \(event.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(event.kind): \(event.message)")
        }
    }
}
