import FluoroboxTestSupport
import Foundation
import Glibc
import POSIXSupport
import Synchronization
import Testing

/// One `fluorobox-hub serve --database …` replica as a real child process on a loopback port.
final class HubReplica: Sendable {
    let port: Int
    let arguments: [String]
    let environment: [String: String]
    private let process = Mutex<Process?>(nil)
    private let logs = TemporaryDirectory("hub-replica-log")
    /// FLUOROBOX_CRASH_AT of the first start only; a restart runs without it.
    private let crashAt: Mutex<String?>

    static var binary: String {
        if let other = ProcessInfo.processInfo.environment["FLUOROBOX_HUB_BINARY"] { return other }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("fluorobox-hub").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent(".build/debug/fluorobox-hub").path
    }

    /// Starts a replica on `database` sharing `staging`, and waits until it listens.
    init(
        database: String, staging: String, port: Int = LoopbackPort.free(), extra: [String] = [],
        environment: [String: String] = [:], crashAt: String? = nil
    ) async throws {
        self.port = port
        self.environment = environment
        self.crashAt = Mutex(crashAt)
        arguments = [
            "serve", "--database", database, "--staging", staging, "--port", String(port),
            "--development-plain-http", "--log-level", "error",
        ] + extra
        try await start()
    }

    /// Starts a single-machine hub on its SQLite store in `dataDirectory`, and waits until it listens.
    init(dataDirectory: String, port: Int = LoopbackPort.free(), extra: [String] = []) async throws {
        self.port = port
        environment = [:]
        crashAt = Mutex(nil)
        arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port), "--development-plain-http", "--log-level", "error"] + extra
        try await start()
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in self.environment { environment[name] = value }
        environment["FLUOROBOX_CRASH_AT"] = crashAt.withLock { armed in
            defer { armed = nil }
            return armed
        }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.childLog(at: logPath)
        try process.run()
        self.process.withLock { $0 = process }
        do {
            try await LoopbackPort.waitUntilListening(port)
        } catch {
            // The caller gets no replica to stop, so this one goes now.
            await process.stop(signal: SIGKILL)
            throw TestServerError("the replica on \(port) did not listen: \(error); its stderr: \(logPath)")
        }
    }

    /// The replica's stderr, appended to across restarts (removed with the replica).
    var logPath: String { logs.file("replica-\(port).log") }

    var pid: Int32? { process.withLock { $0?.processIdentifier } }

    /// SIGKILL, as a machine dying: no shutdown, open transactions dropped with the socket.
    func kill() async {
        guard let process = process.withLock({ $0 }) else { return }
        await process.stop(signal: SIGKILL)
    }

    /// Waits until the process ended by itself (a crash point), at most `timeout`.
    func waitForExit(timeout: Duration = .seconds(120)) async throws {
        guard let process = process.withLock({ $0 }) else { return }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw TestServerError("the replica on \(port) still runs after \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() async {
        guard let process = process.withLock({ $0 }) else { return }
        if !(await process.stop(grace: .seconds(30))) {
            Issue.record("the replica on \(port) did not stop within 30 s of SIGTERM (killed); its stderr: \(logPath)")
        }
    }

    /// Whether the replica has `path` open (a chunk's part file while its body streams).
    func hasOpen(under folder: String) -> Bool {
        guard let pid else { return false }
        let fds = "/proc/\(pid)/fd"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? [] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + entry), target.hasPrefix(folder) {
                return true
            }
        }
        return false
    }

    deinit {
        if let process = process.withLock({ $0 }), process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

/// HTTP requests by curl: an independent client that sends exactly the headers given.
enum Curl {
    struct Answer: Sendable {
        var status: Int
        /// Header names lower-cased.
        var headers: [String: String]
        var body: String
    }

    static func call(
        port: Int, _ method: String, _ path: String, device: String = "box-a", headers: [String] = [],
        bodyFile: String? = nil, body: String? = nil, limitRate: String? = nil, maxTime: Int = 60
    ) async throws -> Answer {
        let folder = TemporaryDirectory("curl")
        let headerFile = folder.file("headers"), output = folder.file("body")
        var arguments = ["-sS", "--max-time", String(maxTime), "-D", headerFile, "-o", output, "-w", "%{http_code}"]
        arguments += method == "HEAD" ? ["-I"] : ["-X", method]
        // No "Expect: 100-continue" round trip before a chunk.
        for header in headers + ["Fluorobox-Device: \(device)", "Expect:"] { arguments += ["-H", header] }
        if let bodyFile { arguments += ["--data-binary", "@" + bodyFile, "-H", "Content-Type: application/octet-stream"] }
        if let body { arguments += ["--data-binary", body, "-H", "Content-Type: application/json"] }
        if let limitRate { arguments += ["--limit-rate", limitRate] }
        let result = try await ProcessRunner.run("/usr/bin/curl", arguments + ["http://127.0.0.1:\(port)" + path])
        var parsed: [String: String] = [:]
        for line in ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: Int(result.stdout) ?? 0, headers: parsed, body: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// PUT one chunk of an instance upload: `bytes[offset..<end]`, written to a file first.
    static func chunk(
        port: Int, key: String, bytes: [UInt8], offset: Int, end: Int, folder: TemporaryDirectory, limitRate: String? = nil
    ) async throws -> Answer {
        let file = try folder.write("chunk-\(offset)-\(end)-\(UUID().uuidString.prefix(6))", Array(bytes[offset..<end]))
        return try await call(
            port: port, "PUT", "/v1/instances/\(key)",
            headers: [
                "Upload-Offset: \(offset)", "Upload-Length: \(bytes.count)", "Content-SHA256: \(SHA256Hex.string(of: bytes))",
            ],
            bodyFile: file, limitRate: limitRate
        )
    }
}
