import Foundation
import Glibc
import POSIXSupport
import Synchronization

/// A real PostgreSQL 15 of the test's own: initdb in a temporary folder, a free loopback port,
/// trust authentication for the user `fluorobox`, stopped when asked or when the value goes.
///
/// PostgreSQL refuses to run as root; as root (this machine and CI) initdb and the
/// server run as the `postgres` user (Debian's package makes it; through setpriv), with the folder theirs.
public final class PostgresServer: Sendable {
    /// Debian's binaries; FLUOROBOX_PG_BIN points elsewhere.
    public static let binaries = ProcessInfo.processInfo.environment["FLUOROBOX_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"

    /// Why the tests cannot start a PostgreSQL here; nil when they can.
    public static let unavailableReason: String? = {
        for program in ["initdb", "postgres", "psql"] where !FileManager.default.isExecutableFile(atPath: binaries + "/" + program) {
            return "PostgreSQL 15 is not installed (\(binaries)/\(program) is missing): tools/install-deps installs postgresql-15"
        }
        return nil
    }()

    public static var isAvailable: Bool { unavailableReason == nil }

    public let port: Int
    public let user = "fluorobox"
    public let folder: TemporaryDirectory
    public var dataDirectory: String { folder.path + "/data" }
    public var logFile: String { folder.path + "/postgres.log" }

    private let postmaster = Mutex<Process?>(nil)

    private init(port: Int, folder: TemporaryDirectory) {
        self.port = port
        self.folder = folder
    }

    /// initdb and start; returns once the server accepts connections.
    public static func start(_ label: String = "pg", settings: [String: String] = [:]) async throws -> PostgresServer {
        // A free port may be taken by another suite's server before ours binds it: then ours
        // exits and the other answers; a new port is tried (startServer checks whose it is).
        for attempt in 1... {
            do {
                return try await startOnce(label, settings: settings)
            } catch let error as PortTaken where attempt < 5 {
                _ = error
            }
        }
        fatalError("unreachable")
    }

    /// Another server answered on the port this one was to listen on.
    struct PortTaken: Error {}

    private static func startOnce(_ label: String, settings: [String: String]) async throws -> PostgresServer {
        if let unavailableReason { throw TestServerError(unavailableReason) }
        let server = PostgresServer(port: LoopbackPort.free(), folder: TemporaryDirectory(label))
        if geteuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw TestServerError("running as root, and there is no postgres user to run PostgreSQL as (Debian's postgresql-15 makes it)")
            }
            guard chown(server.folder.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestServerError("chown \(server.folder.path) to postgres: errno \(errno)")
            }
        }
        // -N: initdb's own files unsynced (a test cluster); the server itself runs with fsync on.
        try await server.run("initdb", ["-D", server.dataDirectory, "-U", server.user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"])
        try await server.startServer(settings: settings)
        return server
    }

    /// Starts the server again on the same folder and port (after ``stop(immediate:)``).
    public func restart(settings: [String: String] = [:]) async throws {
        try await startServer(settings: settings)
    }

    /// The postmaster runs as this process's own child in the foreground, not daemonised by
    /// pg_ctl: Foundation's wait for a pg_ctl that left a daemon behind never returned here.
    private func startServer(settings: [String: String]) async throws {
        var arguments = [
            "-D", dataDirectory, "-p", String(port), "-k", folder.path, "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=300", "-c", "log_min_messages=warning",
        ]
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { arguments += ["-c", "\(name)=\(value)"] }
        let postgres = Self.binaries + "/postgres"
        let process = Process()
        if geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", postgres] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: postgres)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        if !FileManager.default.fileExists(atPath: logFile) { _ = FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        postmaster.withLock { $0 = process }
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                let log = tail(of: logFile)
                // Another suite's server bound the port first: a new port is tried.
                if log.contains("could not bind") || log.contains("Address already in use") { throw PortTaken() }
                throw TestServerError("postgres exited \(process.terminationStatus) at start: \(log)")
            }
            if LoopbackPort.isListening(port), let answering = try? await sql("SHOW data_directory") {
                // Ours, or another suite's server that took the port first (ours then exits).
                if answering == dataDirectory { return }
                if process.isRunning {
                    process.terminate()
                    process.waitUntilExit()
                }
                throw PortTaken()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError("postgres did not accept connections on \(port) within 120 s: \(tail(of: logFile))")
    }

    /// Stops the server: `fast` (SIGINT) rolls back open transactions and shuts down cleanly;
    /// `immediate` (SIGQUIT) is a crash (recovery on the next start).
    public func stop(immediate: Bool = false) async throws {
        guard let process = postmaster.withLock({ $0 }), process.isRunning else { return }
        kill(process.processIdentifier, immediate ? SIGQUIT : SIGINT)
        try await BlockingIO.run { process.waitUntilExit() }
    }

    /// postgres://fluorobox@127.0.0.1:PORT/DATABASE
    public func url(database: String = "postgres") -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// Creates a database and returns its URL.
    public func createDatabase(_ name: String) async throws -> String {
        _ = try await sql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs SQL through psql and returns its unaligned, tuples-only output (`|` between columns).
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") async throws -> String {
        let result = try await ProcessRunner.run(Self.binaries + "/psql", [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database,
            "-c", statement,
        ], environment: ["PGCONNECT_TIMEOUT": "10"]) // a port another suite's server took may never answer
        guard result.status == 0 else { throw TestServerError("psql \(statement.prefix(80)): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A PostgreSQL program, as the postgres user when this process is root.
    private func run(_ program: String, _ arguments: [String]) async throws {
        let path = Self.binaries + "/" + program
        let result = geteuid() == 0
            // setpriv execs the program itself: no extra process between the test and PostgreSQL.
            ? try await ProcessRunner.run(
                "/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments,
                currentDirectory: folder.path
            )
            : try await ProcessRunner.run(path, arguments, currentDirectory: folder.path)
        guard result.status == 0 else {
            throw TestServerError("\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)\n\(tail(of: logFile))")
        }
    }

    private func tail(of path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
    }

    deinit {
        // A test that forgot to stop (or failed first) leaves no server behind: SIGQUIT is
        // PostgreSQL's immediate shutdown. Only a signal here: deinit may run on a pooled thread.
        if let process = postmaster.withLock({ $0 }), process.isRunning { kill(process.processIdentifier, SIGQUIT) }
    }
}
