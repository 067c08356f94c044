import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import POSIXSupport

/// The reference platform receiver: the device API of docs/platform-api.yaml on Hummingbird.
public struct HubServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 0
        /// Folder of model packages served as the catalog (optional).
        public var catalogDirectory: String?
        public var faults = HubFaults()
        /// HTTPS with required client certificates; nil: plain HTTP (tests behind the fault proxy).
        public var tls: HubTLSSettings?
        /// Called with the bound port once the server listens.
        public var onListening: @Sendable (Int) async -> Void = { _ in }

        public init() {}
    }

    public let store: HubStore
    public let settings: Settings
    public let logger: Logger

    public init(store: HubStore, settings: Settings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Keys are what the box's outbox uses: letters, digits and `.:_-`.
    static func isValidKey(_ key: String) -> Bool {
        (1...512).contains(key.utf8.count) && key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2E || byte == 0x3A || byte == 0x5F || byte == 0x2D
        }
    }

    /// Document collections in the URL and the kind they are listed as.
    static let collections: [String: String] = [
        "results": "result", "reports": "report", "feedback": "feedback", "adverse-events": "adverse-event",
        "model-updates": "model-update",
    ]

    public func makeApplication() throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let locks = KeyLocks()
        let store = store
        let faults = settings.faults
        let logger = logger
        let catalog = settings.catalogDirectory

        router.get("/v1/health") { _, _ in Response(status: .noContent) }

        for verb in ["hello", "heartbeat"] {
            router.post("/v1/devices/:device/\(verb)") { request, context -> Response in
                let device = try context.parameters.require("device")
                guard Self.isValidKey(device) else { return Self.problem(HubError(.badRequest, "bad device id")) }
                var request = request
                let body = try await request.collectBody(upTo: 64 * 1024)
                let version = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["version"] as? String
                do {
                    try store.recordHello(device: device, version: version)
                } catch {
                    return Self.problem(error)
                }
                let reply: [String: Any] = [
                    "device": device, "serverTime": ISO8601DateFormatter().string(from: Date()),
                ]
                return Self.json(reply, status: .ok)
            }
        }

        router.put("/v1/:collection/:key") { request, context -> Response in
            let collection = try context.parameters.require("collection")
            let key = try context.parameters.require("key")
            guard let kind = Self.collections[collection] else { return Self.problem(HubError(.notFound, "no collection \(collection)")) }
            guard Self.isValidKey(key) else { return Self.problem(HubError(.badRequest, "bad key")) }
            guard let device = request.headers[.fluoroboxDevice], Self.isValidKey(device) else {
                return Self.problem(HubError(.badRequest, "the Fluorobox-Device header is missing"))
            }
            if faults.shouldFail() { return Self.problem(HubError(.injectedFault, "503 on purpose")) }
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024 * 1024)
            let bytes = Array(buffer: body)
            if let announced = request.headers[.contentSHA256], announced != SHA256.hash(data: bytes).hex {
                return Self.problem(HubError(.digestMismatch, "the body does not hash to \(announced)"))
            }
            do {
                let fresh = try await BlockingIO.run { try store.putDocument(key: key, kind: kind, device: device, body: bytes) }
                CrashPoint.reached("hub-after-commit")
                logger.debug("document stored", metadata: ["key": "\(key)", "fresh": "\(fresh)"])
                return Response(status: fresh ? .created : .ok)
            } catch let error as HubError {
                return Self.problem(error)
            }
        }

        router.head("/v1/instances/:key") { _, context -> Response in
            let key = try context.parameters.require("key")
            guard Self.isValidKey(key) else { return Self.problem(HubError(.badRequest, "bad key")) }
            do {
                return Self.offsetResponse(try store.uploadState(key: key), status: .ok)
            } catch {
                return Self.problem(error)
            }
        }

        router.put("/v1/instances/:key") { request, context -> Response in
            let key = try context.parameters.require("key")
            guard Self.isValidKey(key) else { return Self.problem(HubError(.badRequest, "bad key")) }
            guard let device = request.headers[.fluoroboxDevice], Self.isValidKey(device) else {
                return Self.problem(HubError(.badRequest, "the Fluorobox-Device header is missing"))
            }
            guard let offset = request.headers[.uploadOffset].flatMap({ Int64($0) }), offset >= 0,
                  let length = request.headers[.uploadLength].flatMap({ Int64($0) }), length > 0, offset < length,
                  let sha = request.headers[.contentSHA256], sha.count == 64
            else {
                return Self.problem(HubError(.badRequest, "Upload-Offset, Upload-Length and Content-SHA256 are required"))
            }
            if faults.shouldFail() { return Self.problem(HubError(.injectedFault, "503 on purpose")) }
            await locks.acquire(key)
            do {
                let response = try await Self.receiveChunk(
                    request: request, store: store, key: key, device: device, offset: offset, length: length, sha256: sha
                )
                await locks.release(key)
                return response
            } catch let error as HubError {
                await locks.release(key)
                if error.code == .offsetMismatch, let state = try? store.uploadState(key: key) {
                    return Self.offsetResponse(state, status: .conflict)
                }
                return Self.problem(error)
            } catch {
                await locks.release(key)
                throw error
            }
        }

        router.get("/v1/items") { _, _ -> Response in
            do {
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                let data = try encoder.encode(try store.list())
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                return Self.problem(HubError(.storage, "\(error)"))
            }
        }

        router.get("/v1/models") { _, _ -> Response in
            guard let catalog else { return Self.json(["models": [Any]()], status: .ok) }
            var models: [[String: Any]] = []
            for name in ((try? Posix.directoryEntries(catalog)) ?? []).sorted() where !name.hasPrefix(".") {
                let path = catalog + "/" + name
                guard let status = try? Posix.fileStatus(path), status.isRegularFile,
                      let digest = try? HubStore.sha256(ofFileAt: path) else { continue }
                models.append(["file": name, "size": status.size, "sha256": digest, "url": "/v1/models/\(name)"])
            }
            return Self.json(["models": models], status: .ok)
        }

        router.get("/v1/models/:file") { request, context -> Response in
            let name = try context.parameters.require("file")
            guard let catalog, Self.isValidKey(name), !name.hasPrefix(".") else { return Self.problem(HubError(.notFound, "no such package")) }
            guard let data = FileManager.default.contents(atPath: catalog + "/" + name) else {
                return Self.problem(HubError(.notFound, "no such package"))
            }
            // Resumable download: "Range: bytes=N-".
            if let range = request.headers[.range], range.hasPrefix("bytes="), range.hasSuffix("-"),
               let start = Int(range.dropFirst(6).dropLast()), start <= data.count {
                return Response(
                    status: .partialContent,
                    headers: [.contentRange: "bytes \(start)-\(data.count - 1)/\(data.count)"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data[start...]))
                )
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        let settings = settings
        var server = HTTPServerBuilder.http1()
        if let tls = settings.tls {
            server = try .tls(.http1(), tlsConfiguration: try tls.serverConfiguration())
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "fluorobox-hub"),
            onServerRunning: { channel in
                await settings.onListening(channel.localAddress?.port ?? settings.port)
            },
            logger: logger
        )
    }

    /// Appends one chunk at `offset`, fsyncs it, commits the new offset; completes the upload
    /// when the last byte arrived.
    static func receiveChunk(
        request: Request, store: HubStore, key: String, device: String, offset: Int64, length: Int64, sha256: String
    ) async throws -> Response {
        let upload = try store.beginChunk(key: key, device: device, offset: offset, length: length, sha256: sha256)
        let path = store.partPath(key: key)
        let fd: Int32
        do {
            fd = try Posix.open(path, [.writeOnly, .create])
            try Posix.truncate(fd, to: offset, path: path)
        } catch {
            throw HubError(.storage, "opening \(path): \(error)")
        }
        var position = offset
        do {
            for try await buffer in request.body {
                guard position + Int64(buffer.readableBytes) <= length else {
                    throw HubError(.badRequest, "the chunk runs past Upload-Length \(length)")
                }
                let start = position
                try buffer.withUnsafeReadableBytes { bytes in
                    try Posix.pwriteAll(fd, from: bytes.baseAddress!, count: bytes.count, offset: start, path: path)
                }
                position += Int64(buffer.readableBytes)
            }
        } catch {
            Posix.close(fd)
            store.recordLostBytes(key: key, received: position - offset)
            throw error
        }
        do {
            try await BlockingIO.run { try Posix.fsync(fd, path: path) }
            Posix.close(fd)
        } catch {
            Posix.close(fd)
            throw HubError(.storage, "fsync \(path): \(error)")
        }
        try store.commitChunk(key: key, offset: position, received: position - offset)
        if position == length {
            var finished = upload
            finished.offset = position
            let complete = finished
            try await BlockingIO.run { try store.completeUpload(complete) }
            CrashPoint.reached("hub-after-commit")
            return offsetResponse(.complete(size: length), status: .created)
        }
        CrashPoint.reached("hub-after-commit")
        return offsetResponse(.partial(offset: position), status: .accepted)
    }

    static func offsetResponse(_ state: HubStore.UploadState, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        switch state {
        case .complete(let size):
            headers[.uploadOffset] = String(size)
            headers[.uploadComplete] = "?1"
        case .partial(let offset):
            headers[.uploadOffset] = String(offset)
            headers[.uploadComplete] = "?0"
        }
        return Response(status: status, headers: headers)
    }

    static func problem(_ error: any Error) -> Response {
        let hubError = error as? HubError ?? HubError(.storage, "\(error)")
        return json(
            ["error": hubError.code.description, "detail": hubError.detail],
            status: HTTPResponse.Status(code: hubError.httpStatus)
        )
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    static let fluoroboxDevice = HTTPField.Name("Fluorobox-Device")!
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadComplete = HTTPField.Name("Upload-Complete")!
    static let contentSHA256 = HTTPField.Name("Content-SHA256")!
}
