import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import OpenAPIHummingbird
import POSIXSupport
import PlatformAPIServer
import PlatformAPITypes
import ServiceLifecycle

/// The reference platform receiver: the device API of docs/platform-api.yaml on Hummingbird.
public struct HubServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 0
        /// Folder of model packages served as the catalog (optional): each device is offered the
        /// packages assigned to its region or institution (``ModelAssignment``).
        public var catalogDirectory: String?
        /// Folder of OS bundles an operator may assign to devices (`fluorobox-hub device assign-os`).
        public var osBundleDirectory: String?
        public var faults = HubFaults()
        /// HTTPS with required client certificates; each device is identified by its certificate.
        public var tls: HubTLSSettings?
        /// Serve plain HTTP when `tls` is nil, trusting the `Fluorobox-Device` header as the
        /// device's identity (tests behind the fault proxy, local demos). Without TLS and without
        /// this, the hub refuses to start: nothing would tell devices apart.
        public var developmentPlainHTTP = false
        /// The largest instance the hub accepts (Upload-Length); larger is answered 413.
        public var maxUploadBytes: Int64 = 2 << 30
        /// A connection that sends nothing for this long is closed, also in the middle of a
        /// request body: a stalled chunk must not hold its upload (the PostgreSQL row lock, or
        /// this process's key lock) until TCP gives up hours later. nil: never.
        public var idleTimeout: Duration? = .seconds(60)
        /// Run beside the server after the store's own services (the archive workers).
        public var services: [any Service] = []
        /// How often the replica evaluates running rollouts besides when a `model-update`
        /// document arrives (``RolloutSupervisor``); nil: only then.
        public var rolloutCheckInterval: Duration? = .seconds(60)
        /// The region's device CA: with it the hub enrols devices (`POST /v1/enrolment`), and
        /// under TLS a client certificate becomes optional in the handshake (a box without one
        /// can enrol; every device route still requires one).
        public var deviceCA: DeviceCA?
        /// How long an issued device certificate is valid (never past the CA's own end).
        public var deviceCertificateValidity: Duration = .seconds(365 * 86_400)
        /// Refused enrolments an address may make before it waits (``EnrolmentThrottle``).
        public var enrolmentFreeAttempts = 10
        /// The first wait after those, doubling up to ``enrolmentMaximumDelay`` (seconds).
        public var enrolmentFirstDelay = 2.0
        public var enrolmentMaximumDelay = 300.0
        /// The throttle's clock (tests move their own).
        public var now: @Sendable () -> Date = Date.init
        /// Called with the bound port once the server listens.
        public var onListening: @Sendable (Int) async -> Void = { _ in }

        public init() {}
    }

    public let store: any HubStoring
    public let settings: Settings
    public let logger: Logger

    public init(store: any HubStoring, settings: Settings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Keys are what the box's outbox uses: letters, digits and `.:_-`, and `@` (a result's
    /// key names its model as `id@version`).
    static func isValidKey(_ key: String) -> Bool {
        (1...512).contains(key.utf8.count) && key.utf8.allSatisfy { isKeyByte($0) || $0 == 0x40 }
    }

    /// Device ids: letters, digits and `.:_-`, at most 128 (the API's Fluorobox-Device pattern).
    static func isValidDeviceID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy(isKeyByte)
    }

    /// For the operator's commands.
    public static func isValidDeviceIDForCommandLine(_ id: String) -> Bool { isValidDeviceID(id) }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == 0x2E || byte == 0x3A || byte == 0x5F || byte == 0x2D
    }

    public func makeApplication() throws -> some ApplicationProtocol {
        let router = Router(context: HubRequestContext.self)
        let locks = KeyLocks()
        let store = store
        let faults = settings.faults
        let logger = logger
        let catalog = settings.catalogDirectory
        let tls = settings.tls != nil
        let maxUploadBytes = settings.maxUploadBytes
        guard tls || settings.developmentPlainHTTP else {
            throw HubError(.badRequest, "without TLS (--tls-cert, --tls-key, --tls-client-ca) the hub cannot tell devices apart; plain HTTP needs --development-plain-http")
        }

        // The JSON operations: generated from docs/platform-api.yaml (PlatformAPIServer), in a
        // group whose middleware hands them the connection (the client certificate).
        let operations = router.group().add(middleware: HubRequestScope.Opening())
        try HubAPI(
            store: store, catalogDirectory: catalog, deviceCA: settings.deviceCA,
            deviceCertificateValidity: settings.deviceCertificateValidity,
            enrolmentThrottle: EnrolmentThrottle(
                .init(freeAttempts: settings.enrolmentFreeAttempts, firstDelay: settings.enrolmentFirstDelay, maximumDelay: settings.enrolmentMaximumDelay),
                now: settings.now),
            logger: logger
        ).registerHandlers(
            on: operations, configuration: .platformAPI,
            middlewares: [HubAPIMiddleware(store: store, tls: tls, faults: faults)]
        )

        // A collection the API does not have: the API's 404 problem, not the router's bare one.
        router.put("/v1/:collection/:key") { _, context -> Response in
            Self.problem(HubError(.notFound, "no collection \(try Self.pathParameter("collection", context))"))
        }

        // The resumable instance upload and the package download stay hand-written: they stream
        // bytes (a chunk goes from the connection to its staged file without being collected,
        // and swift-openapi-hummingbird would copy every buffer of it into a new array) and
        // answer in headers (Upload-Offset, Content-Range); docs/platform-api.yaml describes them.
        router.head("/v1/instances/:key") { request, context -> Response in
            let key = try Self.pathParameter("key", context)
            guard Self.isValidKey(key) else { return Self.problem(HubError(.badRequest, "bad key")) }
            do {
                let device = try await DeviceIdentity.of(request, context: context, tls: tls, store: store)
                return Self.offsetResponse(try await store.uploadState(device: device, key: key), status: .ok)
            } catch {
                return Self.problem(error)
            }
        }

        router.put("/v1/instances/:key") { request, context -> Response in
            let key = try Self.pathParameter("key", context)
            guard Self.isValidKey(key) else { return Self.problem(HubError(.badRequest, "bad key")) }
            let device: String
            let upload: UploadHeaders
            do {
                device = try await DeviceIdentity.of(request, context: context, tls: tls, store: store)
                upload = try UploadHeaders(request.headers, maxUploadBytes: maxUploadBytes)
            } catch {
                return Self.problem(error)
            }
            if faults.shouldFail() { return Self.problem(HubError(.injectedFault, "503 on purpose")) }
            let lock = device + "/" + key
            await locks.acquire(lock)
            do {
                let outcome = try await store.receiveChunk(device: device, key: key, upload: upload, body: request.body)
                await locks.release(lock)
                switch outcome {
                case .alreadyHeld(let state):
                    return Self.offsetResponse(state, status: .ok)
                case .accepted(let state):
                    CrashPoint.reached("hub-after-commit")
                    return Self.offsetResponse(state, status: .accepted)
                case .completed(let state):
                    CrashPoint.reached("hub-after-commit")
                    return Self.offsetResponse(state, status: .created)
                }
            } catch let error as HubError {
                await locks.release(lock)
                if error.code == .offsetMismatch, let state = try? await store.uploadState(device: device, key: key) {
                    return Self.offsetResponse(state, status: .conflict)
                }
                return Self.problem(error)
            } catch {
                await locks.release(lock)
                throw error
            }
        }

        // Only a package assigned to the asking device's region or institution, as it was assigned.
        router.get("/v1/models/:file") { request, context -> Response in
            let name = try Self.pathParameter("file", context)
            do {
                let device = try await DeviceIdentity.of(request, context: context, tls: tls, store: store)
                _ = try await ModelCatalog(folder: catalog, store: store).package(name, for: device)
            } catch {
                return Self.problem(error)
            }
            return Self.fileResponse(folder: catalog, name: name, range: request.headers[.range], what: "package")
        }
        let osBundles = settings.osBundleDirectory
        // Only the bundle assigned to the asking device, as the model route serves only its packages.
        router.get("/v1/os-bundles/:file") { request, context -> Response in
            let name = try Self.pathParameter("file", context)
            do {
                let device = try await DeviceIdentity.of(request, context: context, tls: tls, store: store)
                guard try await store.osAssignment(device: device)?.file == name else {
                    return Self.problem(HubError(.notFound, "no OS bundle \(name) is assigned to device \(device)"))
                }
            } catch {
                return Self.problem(error)
            }
            return Self.fileResponse(folder: osBundles, name: name, range: request.headers[.range], what: "bundle")
        }
        Self.addMethodNotAllowedRoutes(to: router)

        let settings = settings
        let http1 = HTTP1Channel.Configuration(idleTimeout: settings.idleTimeout.map { .nanoseconds(Int64($0 / .nanoseconds(1))) })
        var server = HTTPServerBuilder.http1(configuration: http1)
        if let tls = settings.tls {
            server = try .tls(
                .http1(configuration: http1),
                tlsConfiguration: try tls.serverConfiguration(clientCertificateOptional: settings.deviceCA != nil)
            )
        }
        let rolloutSupervisors: [any Service] = settings.rolloutCheckInterval.map { [RolloutSupervisor(store: store, interval: $0, logger: logger)] } ?? []
        var application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "fluorobox-hub"),
            services: store.services + rolloutSupervisors + settings.services,
            onServerRunning: { channel in
                await settings.onListening(channel.localAddress?.port ?? settings.port)
            },
            logger: logger
        )
        // The store's services (PostgreSQL's pool) run first; the schema is current before a
        // request can arrive.
        application.beforeServerStarts { try await store.prepare() }
        return application
    }

    /// A path parameter, percent-decoded: a client may send `result%3A1` for `result:1`, and
    /// the key is the same. Undecodable text stays as it is (and fails the key check).
    static func pathParameter(_ name: String, _ context: HubRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// The methods each route serves; any other method on the path is 405 with `Allow`
    /// (RFC 9110 15.5.6), not the 404 of a path that does not exist.
    static let routeMethods: [(path: RouterPath, methods: [HTTPRequest.Method])] = [
        ("/v1/health", [.get]), ("/v1/enrolment", [.post]), ("/v1/devices/:device/hello", [.post]),
        ("/v1/devices/:device/heartbeat", [.post]), ("/v1/results/:key", [.put]), ("/v1/reports/:key", [.put]),
        ("/v1/feedback/:key", [.put]), ("/v1/adverse-events/:key", [.put]), ("/v1/model-updates/:key", [.put]), ("/v1/shadow-agreements/:key", [.put]),
        ("/v1/:collection/:key", [.put]), ("/v1/instances/:key", [.head, .put]),
        ("/v1/items", [.get]), ("/v1/models", [.get]), ("/v1/models/:file", [.get]), ("/v1/os-bundles/:file", [.get]),
        ("/v1/devices/:device/os-update", [.get]), ("/v1/os-updates/:key", [.put]),
    ]

    static func addMethodNotAllowedRoutes(to router: Router<HubRequestContext>) {
        let every: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]
        for (path, methods) in routeMethods {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in every where !methods.contains(method) {
                router.on(path, method: method) { _, _ -> Response in
                    var response = Self.problem(HubError(.methodNotAllowed, "\(method.rawValue) is not served here; \(allow) is"))
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }

    static func offsetResponse(_ state: HubUploadState, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        // Upload-Length and Content-SHA256 say which bytes the offset counts, so a device can
        // check a "complete" against what it sent instead of taking the hub's word for it.
        switch state {
        case .complete(let size, let sha256):
            headers[.uploadOffset] = String(size)
            headers[.uploadLength] = String(size)
            headers[.contentSHA256] = sha256
            headers[.uploadComplete] = "?1"
        case .partial(let offset, let length, let sha256):
            headers[.uploadOffset] = String(offset)
            if let length { headers[.uploadLength] = String(length) }
            if let sha256 { headers[.contentSHA256] = sha256 }
            headers[.uploadComplete] = "?0"
        }
        return Response(status: status, headers: headers)
    }

    static func problem(_ error: any Error) -> Response {
        let (status, body) = problemParts(error as? HubError ?? HubError(.storage, "\(error)"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The API's problem answer (`{"detail": …, "error": …}`) of `error`: its status and body.
    static func problemParts(_ error: HubError) -> (HTTPResponse.Status, [UInt8]) {
        let object = ["error": error.code.description, "detail": error.detail]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return (HTTPResponse.Status(code: error.httpStatus), Array(data))
    }
}

extension HTTPField.Name {
    static let fluoroboxDevice = HTTPField.Name("Fluorobox-Device")!
    static let uploadOffset = HTTPField.Name("Upload-Offset")!
    static let uploadLength = HTTPField.Name("Upload-Length")!
    static let uploadComplete = HTTPField.Name("Upload-Complete")!
    static let contentSHA256 = HTTPField.Name("Content-SHA256")!
}
