import AsyncHTTPClient
import Foundation
import NIOCore
import POSIXSupport
import PlatformAPIClient

/// One package the platform's catalog offers (GET /v1/models).
public struct CatalogEntry: Sendable, Hashable, Codable {
    public var file: String
    public var size: Int64
    public var sha256: String
    /// The hub rolled a staged rollout back and this older package is the one to go back to:
    /// installed though not newer (signature, pins and reference inputs still checked).
    public var rollback: Bool?
    /// Assigned to the device as a shadow: installed (any version; signature, pins and
    /// reference inputs checked) and designated as its task's shadow, never activated.
    public var shadow: Bool?

    public init(file: String, size: Int64, sha256: String, rollback: Bool? = nil, shadow: Bool? = nil) {
        self.file = file
        self.size = size
        self.sha256 = sha256
        self.rollback = rollback
        self.shadow = shadow
    }

    var isRollback: Bool { rollback == true }
    var isShadow: Bool { shadow == true }
}

extension PlatformClient {
    /// `GET /v1/models?shadows=true` through the generated client: this box runs shadow entries
    /// (``ModelUpdateService``), so the hub lists them.
    public func modelCatalog() async throws(SyncError) -> [CatalogEntry] {
        let what = "GET /v1/models"
        let output = try await call(what, deadline: .seconds(30)) { try await $0.listModels(query: .init(shadows: true)) }
        switch output {
        case .ok(let ok):
            switch ok.body {
            case .json(let catalog): return catalog.models.map { CatalogEntry(file: $0.file, size: $0.size, sha256: $0.sha256, rollback: $0.rollback, shadow: $0.shadow) }
            }
        case .badRequest(let problem): throw Self.error(status: 400, problem: problem, what: what)
        case .forbidden(let problem): throw Self.error(status: 403, problem: problem, what: what)
        case .serviceUnavailable(let problem): throw Self.error(status: 503, problem: problem, what: what)
        case .undocumented(let status, let payload): throw Self.error(status: status, body: await Self.bytes(of: payload), what: what)
        }
    }

    /// Downloads `entry` into `path`, resuming (see ``download(_:size:to:)``).
    public func downloadModel(_ entry: CatalogEntry, to path: String) async throws(SyncError) {
        try await download("/v1/models/\(entry.file)", size: entry.size, to: path)
    }

    /// Downloads the hub's `urlPath` (a file of `size` bytes) into `path`, resuming from what a
    /// `.part` file beside it already holds (Range: bytes=N-); every piece is fsync'd, so a cut
    /// or a restart costs only what was in flight. Returns when the file is whole (its SHA-256
    /// is the caller's to check).
    func download(_ urlPath: String, size: Int64, to path: String) async throws(SyncError) {
        let part = path + ".part"
        let fd: Int32
        var offset: Int64
        do {
            fd = try Posix.open(part, [.writeOnly, .create], mode: 0o600)
            offset = try Posix.fileStatus(fd, path: part).size
        } catch {
            throw SyncError(.localStorage, "opening \(part): \(error)")
        }
        defer { Posix.close(fd) }
        if offset > size {
            try? Posix.truncate(fd, to: 0, path: part)
            offset = 0
        }
        if offset < size {
            if offset > 0 { counters.update { $0.resumedDownloads += 1 } }
            var request = HTTPClientRequest(url: baseURL + urlPath)
            request.method = .GET
            // The hub offers a device only what is assigned to it: it names itself, as on every
            // request (a development plain-HTTP hub knows it by nothing else).
            request.headers.add(name: "Fluorobox-Device", value: settings.deviceID)
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            counters.update { $0.requests += 1 }
            do {
                let response = try await http.execute(request, timeout: .seconds(Int64(max(120, 4 * settings.readTimeoutSeconds))), logger: logger)
                let code = Int(response.status.code)
                if code == 200, offset > 0 {
                    // The hub ignored the range: start over.
                    try Posix.truncate(fd, to: 0, path: part)
                    offset = 0
                } else if code != 200, code != 206 {
                    let body = try await response.body.collect(upTo: 1 << 16)
                    throw Self.error(status: code, body: Array(buffer: body), what: "GET \(urlPath)")
                }
                for try await buffer in response.body {
                    guard offset + Int64(buffer.readableBytes) <= size else {
                        throw SyncError(.protocolViolation, "\(urlPath) is longer than the catalog's \(size) bytes")
                    }
                    let start = offset
                    try buffer.withUnsafeReadableBytes { bytes in
                        try Posix.pwriteAll(fd, from: bytes.baseAddress!, count: bytes.count, offset: start, path: part)
                    }
                    offset += Int64(buffer.readableBytes)
                }
            } catch let error as SyncError {
                try? Posix.fsync(fd, path: part)
                throw error
            } catch {
                try? Posix.fsync(fd, path: part)
                throw SyncError(.unreachable, "GET \(urlPath) at \(offset): \(error)")
            }
        }
        do {
            try Posix.fsync(fd, path: part)
        } catch {
            throw SyncError(.localStorage, "fsync \(part): \(error)")
        }
        guard offset == size else {
            throw SyncError(.unreachable, "\(urlPath): the download ended at \(offset) of \(size) bytes")
        }
        do {
            try Posix.rename(part, path)
        } catch {
            throw SyncError(.localStorage, "renaming \(part): \(error)")
        }
    }
}
