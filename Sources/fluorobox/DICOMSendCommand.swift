import ArgumentParser
import Appliance
import DICOMNetwork
import Foundation
import Logging

struct DICOMSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send DICOM Part 10 files to a node with C-STORE (like storescu; folders are searched).",
        discussion: """
            One association; each file goes in the transfer syntax it is stored in (no transcoding). Prints one line \
            per file with the node's status; exits 0 only when every file was stored.
            """
    )

    @Argument(help: "Host name or address of the DICOM node.")
    var host: String

    @Argument(help: "Its TCP port.")
    var port: Int

    @Argument(help: "Files or folders to send.")
    var paths: [String]

    @Option(name: .long, help: "Calling AE title (this side).")
    var aet = "FLUOROBOX"

    @Option(name: .long, help: "Called AE title (the node).")
    var aec = "ANY-SCP"

    func run() async throws {
        guard (1...65535).contains(port) else { throw ValidationError("PORT must be from 1 to 65535") }
        var files: [String] = []
        for entry in FileIntake.expand(paths) {
            if let problem = entry.problem {
                printError("\(entry.path): \(problem)")
            } else {
                files.append(entry.path)
            }
        }
        let scu = StoreSCU(callingAETitle: aet, calledAETitle: aec, logger: Logger(label: "fluorobox", factory: { _ in SwiftLogNoOpLogHandler() }))
        let outcomes: [StoreSCU.FileOutcome]
        do {
            outcomes = try await scu.send(host: host, port: port, paths: files)
        } catch {
            printError("sending to \(aec)@\(host):\(port) failed: \(error)")
            throw ExitCode(1)
        }
        var failures = FileIntake.expand(paths).contains { $0.problem != nil } ? 1 : 0
        for outcome in outcomes {
            if let status = outcome.status {
                if !status.isSuccess { failures += 1 }
                print("\(status.isSuccess ? "stored" : "FAILED")   \(status) \(outcome.sopInstanceUID ?? "") \(outcome.path)" + (outcome.comment.map { ": \($0)" } ?? ""))
            } else {
                failures += 1
                print("NOT SENT \(outcome.path): \(outcome.error ?? "unknown reason")")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
