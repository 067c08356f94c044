import Dispatch
import Foundation
import POSIXSupport
import Synchronization

/// Starts one worker process for one image and waits for its answer, within a time limit.
/// What can go wrong in the child (a trap, a memory limit, a hang) comes back as a failure
/// with its reason; the agent itself only reads JSON.
struct AnalysisWorkerProcess: Sendable {
    /// The program to start with `analysis-worker` (the agent's own binary).
    let executable: String
    let timeoutSeconds: Double

    /// Why a worker gave no answer.
    struct Failure: Error, Sendable {
        let reason: String
    }

    /// The subcommand of `fluorobox` the worker runs.
    static let subcommand = "analysis-worker"

    /// The running program, as the child should start it: /proc/self/exe names this exact
    /// binary even after an update replaced the file on disk.
    static let runningProgram = "/proc/self/exe"

    func run(_ request: AnalysisWorker.Request) -> Result<AnalysisWorker.Response, Failure> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [Self.subcommand]
        let input = Pipe(), output = Pipe()
        let errorPath = NSTemporaryDirectory() + "fluorobox-analysis-\(UUID().uuidString).stderr"
        guard FileManager.default.createFile(atPath: errorPath, contents: nil), let errorFile = FileHandle(forWritingAtPath: errorPath) else {
            return .failure(Failure(reason: "cannot create a file for the analysis process's messages in \(NSTemporaryDirectory())"))
        }
        defer {
            try? errorFile.close()
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errorFile
        let requestBytes: Data
        do {
            requestBytes = try JSONEncoder().encode(request)
            try process.run()
        } catch {
            return .failure(Failure(reason: "cannot start the analysis process \(executable): \(error)"))
        }
        // The deadline kills a hung worker; `finished` keeps it from signalling a pid that was
        // already reaped (and possibly reused).
        let pid = process.processIdentifier
        let finished = Mutex(false)
        let timedOut = Mutex(false)
        let deadline = DispatchWorkItem {
            finished.withLock { done in
                guard !done else { return }
                timedOut.withLock { $0 = true }
                Posix.killProcess(pid)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: deadline)
        try? input.fileHandleForWriting.write(contentsOf: requestBytes)
        try? input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        finished.withLock { done in
            deadline.cancel()
            done = true
        }
        process.waitUntilExit()

        if timedOut.withLock({ $0 }) {
            return .failure(Failure(reason: "the analysis took longer than \(Int(timeoutSeconds)) s and was stopped"))
        }
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            var reason = "the image crashed the analysis process (\(Posix.signalName(signal)))"
            if let message = Self.lastLine(ofFile: errorPath) { reason += ": \(message)" }
            return .failure(Failure(reason: reason))
        }
        do {
            return .success(try JSONDecoder().decode(AnalysisWorker.Response.self, from: answer))
        } catch {
            var reason = "the analysis process exited with status \(process.terminationStatus) without an answer"
            if let message = Self.lastLine(ofFile: errorPath) { reason += ": \(message)" }
            return .failure(Failure(reason: reason))
        }
    }

    /// What the worker said last on its standard error: the Swift runtime's "Fatal error" line
    /// when there is one (a trap names its cause there, before the stack trace), else the last
    /// non-empty line; cut to a length a panel can show.
    private static func lastLine(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let lines = String(decoding: data.suffix(16384), as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let line = lines.last(where: { $0.contains("Fatal error") }) ?? lines.last else { return nil }
        return String(line.prefix(300))
    }
}
