import Foundation
import POSIXSupport

/// Runs the built `fluorobox` and other programs as real child processes.
public enum ProcessRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `fluorobox` binary built next to the test bundle.
    public static var fluorobox: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle.appendingPathComponent("fluorobox").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            candidate = URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent(".build/debug/fluorobox").path
        }
        return candidate
    }

    /// Runs to completion and collects output. The wait happens on a thread of its own
    /// (BlockingIO), so a test waiting for a child holds none of the pooled threads the code under
    /// test runs on.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        currentDirectory: String? = nil
    ) async throws -> Result {
        try await BlockingIO.run {
            try runBlocking(executable, arguments, environment: environment, currentDirectory: currentDirectory)
        }
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String],
        currentDirectory: String?
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["FLUOROBOX_CRASH_AT"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither fills up and blocks the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        BlockingIO.start {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }
}

/// Finds a program on PATH; nil when it is not installed.
public func tool(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
