import Foundation
import POSIXSupport
import Synchronization

/// Debian's HAProxy in front of HTTP servers on loopback, as a region runs it in front of its
/// hub replicas: round robin per request, health checks, a refused connection retried on
/// another server.
public final class HAProxyProcess: Sendable {
    public static let binary: String? = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let unavailableReason: String? = binary == nil ? "HAProxy is not installed: tools/install-deps installs haproxy" : nil

    public let port: Int
    public let folder: TemporaryDirectory
    /// With `logRequests`: one line per request, "SERVER STATUS METHOD PATH".
    public var requestLog: String { folder.path + "/requests.log" }
    private let process = Mutex<Process?>(nil)

    /// Starts HAProxy on a free port in front of `backends` (loopback ports) and waits until it
    /// listens. `healthPath` answers 2xx on a healthy backend. `logRequests`: which server
    /// answered each request, in ``requestLog``.
    public init(
        backends: [Int], healthPath: String = "/v1/health", checkInterval: Duration = .milliseconds(300), logRequests: Bool = false
    ) async throws {
        guard let binary = Self.binary else { throw TestServerError(Self.unavailableReason!) }
        port = LoopbackPort.free()
        folder = TemporaryDirectory("haproxy")
        let interval = "\(checkInterval.components.seconds * 1000 + checkInterval.components.attoseconds / 1_000_000_000_000_000)ms"
        var configuration = """
            global
                maxconn 2000
            \(logRequests ? "    log stdout format raw local0" : "")
            defaults
                mode http
            \(logRequests ? "    log global\n    log-format \"%s %ST %HM %HP\"" : "")
                timeout connect 2s
                timeout client 120s
                timeout server 120s
                timeout http-request 120s
                retries 3
                option redispatch 1
            frontend hub
                bind 127.0.0.1:\(port)
                default_backend replicas
            backend replicas
                balance roundrobin
                option httpchk GET \(healthPath)
                http-check expect status 200-299

            """
        for (index, backend) in backends.enumerated() {
            configuration += "    server replica\(index) 127.0.0.1:\(backend) check inter \(interval) fall 1 rise 1\n"
        }
        let file = try folder.write("haproxy.cfg", Array(configuration.utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // -db: foreground, no daemon, so the test owns the process.
        process.arguments = ["-db", "-f", file]
        process.standardOutput = logRequests ? FileHandle(forWritingAtPath: try folder.write("requests.log", [])) : FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: try folder.write("haproxy.log", []))
        try process.run()
        self.process.withLock { $0 = process }
        try await LoopbackPort.waitUntilListening(port, timeout: .seconds(30))
    }

    public func stop() async {
        guard let process = process.withLock({ $0 }) else { return }
        if process.isRunning { process.terminate() }
        try? await BlockingIO.run { process.waitUntilExit() }
    }

    deinit {
        if let process = process.withLock({ $0 }), process.isRunning { process.terminate() }
    }
}
