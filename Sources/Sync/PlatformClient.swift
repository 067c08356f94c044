import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OpenAPIRuntime
import PlatformAPIClient
import POSIXSupport
import StudyStore
import Synchronization

/// What became of one delivery attempt that reached the receiver.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The receiver confirmed it durably (`fresh` false: it already held it).
    case delivered(fresh: Bool)
    /// The receiver will never take it as it is.
    case refused(reason: String)
    /// The receiver committed to holding it (storage commitment, transaction `transactionUID`).
    case committed(transactionUID: String)
    /// The receiver stored it, but its storage commitment report has not come: not sent yet;
    /// sent again when the wait is over unless a report completes it first.
    case awaitingCommitment(transactionUID: String, reason: String)
}

/// The device side of docs/platform-api.yaml, on AsyncHTTPClient.
public final class PlatformClient: Sendable {
    /// The HTTP client of the moment: without a client certificate until enrolment wrote one,
    /// then with it (also when another client in this process enrolled).
    let connection: Mutex<Connection>
    var http: HTTPClient { current() }
    let baseURL: String
    /// `baseURL` for the generated client.
    let serverURL: URL
    let settings: SyncSettings
    let counters: SyncCounters
    let limiter: BandwidthLimiter?
    let logger: Logger

    public init(settings: SyncSettings, counters: SyncCounters, logger: Logger) throws(SyncError) {
        guard let hubURL = settings.hubURL, let url = URL(string: hubURL), let scheme = url.scheme,
              scheme == "http" || scheme == "https", url.host != nil
        else {
            throw SyncError(.configuration, "sync.hubURL \"\(settings.hubURL ?? "")\" is not an http(s) URL")
        }
        if scheme == "http", !settings.allowPlainHTTP {
            throw SyncError(
                .configuration,
                "sync.hubURL \(hubURL) is plain HTTP: studies and the device's identity would cross the network unprotected; use an https URL with sync.tls.*, or set sync.allowPlainHTTP for a development hub"
            )
        }
        var configuration = HTTPClient.Configuration(
            timeout: .init(
                connect: .milliseconds(Int64(settings.connectTimeoutSeconds * 1000)),
                read: .milliseconds(Int64(settings.readTimeoutSeconds * 1000)),
                write: .milliseconds(Int64(settings.readTimeoutSeconds * 1000))
            )
        )
        configuration.httpVersion = .http1Only
        var awaiting: SyncTLSSettings?
        if let tls = settings.tls {
            if settings.enrolmentToken != nil, tls.certificateRequestPath != nil, !FileManager.default.fileExists(atPath: tls.certificatePath) {
                configuration.tlsConfiguration = try SyncTLS.enrolmentConfiguration(tls)
                awaiting = tls
            } else {
                configuration.tlsConfiguration = try SyncTLS.clientConfiguration(tls)
            }
        } else if scheme == "https" {
            throw SyncError(.configuration, "\(hubURL) is https but sync.tls.* is not configured")
        }
        self.connection = Mutex(Connection(
            http: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration),
            configuration: configuration, awaitingCertificate: awaiting
        ))
        self.baseURL = hubURL.hasSuffix("/") ? String(hubURL.dropLast()) : hubURL
        self.serverURL = URL(string: baseURL) ?? url
        self.settings = settings
        self.counters = counters
        self.limiter = settings.bandwidthBytesPerSecond > 0 ? BandwidthLimiter(bytesPerSecond: settings.bandwidthBytesPerSecond) : nil
        self.logger = logger
    }

    public func shutdown() async {
        let clients = connection.withLock { [$0.http] + $0.retired }
        for client in clients { try? await client.shutdown() }
    }

    /// The cheap reachability probe: GET /v1/health answered at all within two seconds.
    public func probe() async -> Bool {
        counters.update { $0.probes += 1 }
        do {
            // Neither counted as a request nor naming the device: a probe is no delivery.
            switch try await api(deadline: .seconds(2), identified: false).health() {
            case .noContent: return true
            // The hub is up but cannot reach its database: it would accept nothing now.
            case .serviceUnavailable: return false
            case .undocumented(let status, _): return status < 500
            }
        } catch let error as ClientError {
            return (error.response?.status.code ?? 500) < 500
        } catch {
            return false
        }
    }

    /// Says hello; returns the platform's clock (for the implausible-clock check).
    public func hello(version: String) async throws(SyncError) -> Date? {
        try await timedHello(version: version)?.platformTime
    }

    /// PUT of a small document by key (idempotent: the same key again is answered 200).
    public func putDocument(collection: String, key: String, body: [UInt8]) async throws(SyncError) -> DeliveryOutcome {
        var request = HTTPClientRequest(url: baseURL + "/v1/\(collection)/\(key)")
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-SHA256", value: SHA256Hex.string(of: body))
        request.body = .stream(ChunkBody(bytes: body, limiter: limiter, counters: counters), length: .known(Int64(body.count)))
        let (status, _, reply) = try await send(request, deadline: .seconds(60))
        switch status {
        case 201: return .delivered(fresh: true)
        case 200: return .delivered(fresh: false)
        case 400, 404, 409, 413, 422: return .refused(reason: "HTTP \(status): \(Self.detail(reply))")
        default: throw Self.error(status: status, body: reply, what: "PUT \(collection)/\(key)")
        }
    }

    /// Resumable upload of an instance: chunks of `chunkBytes` at explicit offsets, each made
    /// durable by the hub before it answers, so a cut resends at most the chunk in flight.
    ///
    /// `resume`: ask the hub first how much it holds (a retry, or after a restart).
    public func uploadInstance(key: String, blob: OutboxBlob, resume: Bool) async throws(SyncError) -> DeliveryOutcome {
        let url = baseURL + "/v1/instances/\(key)"
        var offset: Int64 = 0
        if resume {
            var head = HTTPClientRequest(url: url)
            head.method = .HEAD
            let (status, headers, body) = try await send(head, deadline: .seconds(15))
            guard status == 200 else { throw Self.error(status: status, body: body, what: "HEAD \(key)") }
            if headers.first(name: "Upload-Complete") == "?1" {
                try Self.confirmHeld(headers, blob: blob, key: key, answer: "HEAD")
                return .delivered(fresh: false)
            }
            offset = headers.first(name: "Upload-Offset").flatMap { Int64($0) } ?? 0
            if offset > 0 { counters.update { $0.resumedUploads += 1 } }
        }
        while offset < blob.size {
            let length = Int(min(Int64(settings.chunkBytes), blob.size - offset))
            let bytes = try await Self.read(blob: blob, offset: offset, count: length)
            var request = HTTPClientRequest(url: url)
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.headers.add(name: "Upload-Offset", value: String(offset))
            request.headers.add(name: "Upload-Length", value: String(blob.size))
            request.headers.add(name: "Content-SHA256", value: blob.sha256)
            request.body = .stream(ChunkBody(bytes: bytes, limiter: limiter, counters: counters), length: .known(Int64(length)))
            CrashPoint.reached("sync-before-chunk")
            let (status, headers, reply) = try await send(request, deadline: .seconds(Int64(max(120, 4 * settings.readTimeoutSeconds))))
            let held = headers.first(name: "Upload-Offset").flatMap { Int64($0) }
            switch status {
            case 200, 201:
                try Self.confirmHeld(headers, blob: blob, key: key, answer: "HTTP \(status)")
                return .delivered(fresh: status == 201)
            case 202, 409:
                // 409: the hub holds a different amount (an earlier attempt got further, or a
                // torn chunk was dropped); continue from what it holds.
                guard let held, held >= 0, held <= blob.size else {
                    throw SyncError(.protocolViolation, "HTTP \(status) for \(key) without a usable Upload-Offset")
                }
                if headers.first(name: "Upload-Complete") == "?1" {
                    try Self.confirmHeld(headers, blob: blob, key: key, answer: "HTTP \(status)")
                    return .delivered(fresh: false)
                }
                if status == 409 { counters.update { $0.resumedUploads += 1 } }
                offset = held
            case 422:
                // The hub's copy did not hash to the announced digest; it started over.
                throw SyncError(.serverError, "the hub's copy of \(key) did not match its SHA-256; sending again")
            case 400, 404, 413:
                return .refused(reason: "HTTP \(status): \(Self.detail(reply))")
            default:
                throw Self.error(status: status, body: reply, what: "PUT \(key) at \(offset)")
            }
        }
        throw SyncError(.protocolViolation, "the hub took every byte of \(key) but never confirmed it")
    }

    /// A "complete" answer counts only when it names the bytes this box sent: the hub's
    /// Upload-Offset (its whole length) and Content-SHA256 must be the blob's. Anything else
    /// (a hub holding other bytes under the key, or not saying which) leaves the item unsent.
    static func confirmHeld(_ headers: HTTPHeaders, blob: OutboxBlob, key: String, answer: String) throws(SyncError) {
        let size = headers.first(name: "Upload-Offset").flatMap { Int64($0) }
        let sha256 = headers.first(name: "Content-SHA256")?.lowercased()
        guard size == blob.size, sha256 == blob.sha256.lowercased() else {
            throw SyncError(
                .protocolViolation,
                "\(answer) says \(key) is complete, but names \(size.map { "\($0) bytes" } ?? "no size") with SHA-256 \(sha256 ?? "(none)"); this box sent \(blob.size) bytes with SHA-256 \(blob.sha256), so the item is not marked sent"
            )
        }
    }

    static func read(blob: OutboxBlob, offset: Int64, count: Int) async throws(SyncError) -> [UInt8] {
        do {
            return try await BlockingIO.run {
                let fd = try Posix.open(blob.path, .readOnly)
                defer { Posix.close(fd) }
                var bytes = [UInt8](repeating: 0, count: count)
                var done = 0
                try bytes.withUnsafeMutableBytes { buffer in
                    while done < count {
                        let n = try Posix.pread(fd, into: buffer.baseAddress! + done, count: count - done, offset: offset + Int64(done), path: blob.path)
                        if n == 0 { throw SyncError(.localData, "\(blob.path) is shorter than \(offset + Int64(count)) bytes") }
                        done += n
                    }
                }
                return bytes
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.localData, "reading \(blob.path): \(error)")
        }
    }

    /// Runs one request; transport failures become `.unreachable`.
    func send(_ request: HTTPClientRequest, deadline: TimeAmount) async throws(SyncError) -> (Int, HTTPHeaders, [UInt8]) {
        counters.update { $0.requests += 1 }
        // Every request names the device. Under TLS the hub identifies it by its certificate and
        // refuses a header naming another; a plain-HTTP development hub trusts the header.
        var request = request
        request.headers.replaceOrAdd(name: "Fluorobox-Device", value: settings.deviceID)
        do {
            let response = try await http.execute(request, timeout: deadline, logger: logger)
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), response.headers, Array(buffer: body))
        } catch is CancellationError {
            throw SyncError(.unreachable, "cancelled")
        } catch {
            throw SyncError(.unreachable, "\(request.method) \(request.url): \(error)")
        }
    }

    static func detail(_ body: [UInt8]) -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        if let detail = object?["detail"] as? String { return detail }
        return String(decoding: body.prefix(300), as: UTF8.self)
    }

    static func error(status: Int, body: [UInt8], what: String) -> SyncError {
        if status >= 500 { return SyncError(.serverError, "\(what): HTTP \(status): \(detail(body))") }
        return SyncError(.protocolViolation, "\(what): unexpected HTTP \(status): \(detail(body))")
    }
}
