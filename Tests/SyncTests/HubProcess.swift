import Foundation
import FluoroboxTestSupport
import Glibc
import POSIXSupport
import Synchronization
import Testing

/// `fluorobox-hub serve` as a real child process on a fixed loopback port, restarted by a
/// supervisor when it dies (the tests kill it on purpose with FLUOROBOX_CRASH_AT).
final class HubProcess: Sendable {
    let dataDirectory: String
    let port: Int
    let arguments: [String]
    /// FLUOROBOX_CRASH_AT for each start in turn; later starts run without one.
    let crashPlan: [String]
    /// Added to the test's own environment (the archive's credentials).
    let environment: [String: String]
    private let state = Mutex(State())

    private struct State {
        var process: Process?
        var starts = 0
        var stopping = false
        var deaths = 0
    }

    static var binary: String {
        // FLUOROBOX_HUB_BINARY: run the hub tests against another build (e.g. an older commit's).
        if let other = ProcessInfo.processInfo.environment["FLUOROBOX_HUB_BINARY"] { return other }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle.appendingPathComponent("fluorobox-hub").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            candidate = URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent(".build/debug/fluorobox-hub").path
        }
        return candidate
    }

    init(dataDirectory: String, port: Int, arguments: [String] = [], crashPlan: [String] = [], environment: [String: String] = [:]) {
        self.dataDirectory = dataDirectory
        self.port = port
        self.arguments = arguments
        self.crashPlan = crashPlan
        self.environment = environment
    }

    /// Deaths not asked for by ``stop()`` (each one was restarted).
    var deaths: Int { state.withLock { $0.deaths } }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        // Without TLS files the hub runs in its development plain-HTTP mode (the fault proxy
        // speaks plain TCP), which trusts the Fluorobox-Device header.
        let plain = arguments.contains("--tls-cert") ? [] : ["--development-plain-http"]
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port), "--log-level", "error"] + plain + arguments
        process.standardOutput = FileHandle.nullDevice
        try? Posix.makeDirectories(dataDirectory)
        process.standardError = FileHandle.childLog(at: logPath)
        // Weak: a hub whose test dropped it without stop() is killed by deinit, not kept alive.
        process.terminationHandler = { [weak self] _ in
            guard let self else { return }
            let restart = state.withLock { state -> Bool in
                state.process = nil
                if state.stopping { return false }
                state.deaths += 1
                return true
            }
            if restart { try? self.start() }
        }
        // Launched under the lock that stop() takes: a restart racing a stop either runs before
        // it (and is stopped) or sees `stopping` and does not start.
        try state.withLock { state in
            guard !state.stopping else { return }
            state.starts += 1
            var environment = ProcessInfo.processInfo.environment.merging(self.environment) { $1 }
            environment["FLUOROBOX_CRASH_AT"] = state.starts <= crashPlan.count ? crashPlan[state.starts - 1] : nil
            process.environment = environment
            state.process = process
            try process.run()
        }
    }

    /// The hub's stderr, appended to across restarts.
    var logPath: String { dataDirectory + "/hub-stderr.log" }

    /// Waits until the hub answers on its port.
    func waitUntilListening(timeout: Double = 120) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if Self.canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// SIGKILL from outside, as a machine dying; the supervisor starts it again at once.
    /// False when no process was running.
    @discardableResult
    func kill() -> Bool {
        guard let process = state.withLock({ $0.process }), process.isRunning else { return false }
        return Glibc.kill(process.processIdentifier, SIGKILL) == 0
    }

    func stop() {
        let process = state.withLock { state -> Process? in
            state.stopping = true
            return state.process
        }
        if let process, !process.stop(grace: .seconds(30)) {
            Issue.record("the hub on port \(port) did not stop within 30 s of SIGTERM (killed); its stderr: \(logPath)")
        }
    }

    deinit {
        // A test that never called stop() (it threw first) leaves no hub behind.
        let process = state.withLock { state -> Process? in
            state.stopping = true
            return state.process
        }
        if let process, process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = FaultProxy.loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A port nothing listens on now (bind to 0, read it, close).
    static func freePort() -> Int {
        LoopbackPort.free()
    }
}

/// What `fluorobox-hub list --json` prints.
struct HubListedItem: Decodable, Hashable {
    var key: String
    var kind: String
    var device: String
    var sha256: String
    var size: Int64
    var bytesResent: Int64
}

enum HubList {
    static func items(dataDirectory: String) async throws -> [HubListedItem] {
        let result = try await ProcessRunner.run(HubProcess.binary, ["list", "--data-dir", dataDirectory, "--json"])
        guard result.status == 0 else { throw POSIXError(.EIO) }
        return try JSONDecoder().decode([HubListedItem].self, from: Data(result.stdout.utf8))
    }
}

extension HubProcess {
    /// Offers `files` of `catalog` to `device`, as an operator would: records its institution
    /// (in a region of its own) and assigns the files to that region. The hub offers a device
    /// only what is assigned to its region or institution.
    static func assignCatalog(_ files: [String], catalog: String, to device: String, dataDirectory: String) async throws {
        let region = "test region of \(device)"
        var commands = [["device", "set-institution", device, "--region", region, "--name", "test clinic", "--oid", "1.2.643.5.1"]]
        commands += files.map { ["model", "assign", $0, "--region", region, "--catalog-dir", catalog, "--by", "test"] }
        for command in commands {
            let result = try await ProcessRunner.run(binary, command + ["--data-dir", dataDirectory])
            guard result.status == 0 else { throw TestServerError("fluorobox-hub \(command.joined(separator: " ")): \(result.stderr)") }
        }
    }
}
