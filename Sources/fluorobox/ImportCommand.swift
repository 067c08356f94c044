import ArgumentParser
import Appliance
import Foundation
import StudyStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store DICOM, JPEG and PNG files (folders are searched) through the durability promise.",
        discussion: """
            Prints one line per file: stored, duplicate, conflict (same SOP Instance UID, different bytes; both kept), \
            skipped (a DICOMDIR index) or FAILED with the reason. A line is printed only after the file is durable. \
            Exits 0 only when every file was stored or skipped. Works while `fluorobox serve` runs on the same folder.
            """
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print one JSON object per file instead of text.")
    var json = false

    @Argument(help: "Files or folders to import.")
    var paths: [String]

    func run() async throws {
        let store = try common.openStore(create: true)
        // The running agent (or the next one) reads what is imported here.
        let intake = FileIntake(store: store, analyses: try common.loadConfiguration().queuedAnalyses)
        var failures = 0
        for entry in FileIntake.expand(paths) {
            if let problem = entry.problem {
                failures += 1
                try report(ImportLine(path: entry.path, status: "FAILED", error: problem))
                continue
            }
            switch await intake.ingest(path: entry.path, source: .import) {
            case .acknowledged(let receipt):
                let status = switch receipt.outcome {
                case .stored: "stored"
                case .duplicate: "duplicate"
                case .storedWithUIDConflict: "conflict"
                }
                try report(ImportLine(
                    path: entry.path, status: status, sha256: receipt.sha256,
                    sopInstanceUID: receipt.sopInstanceUID, studyInstanceUID: receipt.studyInstanceUID
                ))
            case .skipped(let reason):
                try report(ImportLine(path: entry.path, status: "skipped", error: reason))
            case .failed(let error):
                failures += 1
                try report(ImportLine(path: entry.path, status: "FAILED", error: "\(error)"))
            }
        }
        if failures > 0 {
            printError("\(failures) file(s) were not stored; their sources are untouched")
            throw ExitCode(1)
        }
    }

    private func report(_ line: ImportLine) throws {
        if json {
            try printJSON(line, compact: true)
            return
        }
        var text = line.status.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
        if let sha = line.sha256, let uid = line.sopInstanceUID {
            text += "\(sha) \(uid) \(line.path)"
        } else {
            text += "\(line.path): \(line.error ?? "")"
        }
        // Unbuffered: a script reading the pipe sees each acknowledgement as soon as it is given.
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// One line of `fluorobox import --json`.
struct ImportLine: Encodable {
    var path: String
    var status: String
    var sha256: String?
    var sopInstanceUID: String?
    var studyInstanceUID: String?
    var error: String?
}
