import Appliance
import ArgumentParser
import Foundation
import Logging

/// The agent's worker for one image (see ``AnalysisWorker``): a JSON request on standard input,
/// a JSON answer on standard output. Started by the agent, not by people.
struct AnalysisWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis-worker",
        abstract: "Decode and analyse one stored image for the agent (internal).",
        shouldDisplay: false
    )

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let request: AnalysisWorker.Request
        do {
            request = try JSONDecoder().decode(AnalysisWorker.Request.self, from: input)
        } catch {
            throw ValidationError("analysis-worker reads one JSON request on standard input: \(error)")
        }
        // Standard output carries the answer; anything the worker logs goes to standard error.
        var logger = Logger(label: "fluorobox.analysis-worker") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let response = AnalysisWorker.run(request, logger: logger)
        FileHandle.standardOutput.write(try JSONEncoder().encode(response))
    }
}
