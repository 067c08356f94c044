import HTTPTypes
import Hummingbird
import NIOCore

/// What the generated server (PlatformAPIServer) does not hand its operations: the connection
/// the request came on (its TLS handler holds the client certificate), and, once
/// ``HubAPIMiddleware`` established them, the device making the request and the body's bytes as
/// they arrived. Task-local, set around each request: nothing a request says can put a device
/// here, only the certificate (or, on development plain HTTP, the header) can.
struct HubRequestScope: Sendable {
    var channel: any Channel
    /// The device the certificate (development: the header) names; nil for health and enrolment.
    var device: String?
    /// The serial of the certificate that named ``device`` (nil on development plain HTTP), for
    /// a store that checks the credential in the statement that writes (document PUTs).
    var serial: String?
    /// The request body exactly as received, for digests and storage (documents keep their bytes).
    var body: [UInt8]?

    @TaskLocal static var current: HubRequestScope?

    /// The scope of the request being answered; only missing when a route was registered
    /// outside ``middleware``, which is a programming error answered 500.
    static func require() throws(HubError) -> HubRequestScope {
        guard let current else { throw HubError(.storage, "the request reached an operation without its connection") }
        return current
    }

    /// The device of this request, which ``HubAPIMiddleware`` established before the body was read.
    static func device() throws(HubError) -> String {
        guard let device = try require().device else { throw HubError(.storage, "the operation ran without an identified device") }
        return device
    }

    /// The body as received.
    static func body() throws(HubError) -> [UInt8] {
        try require().body ?? []
    }

    /// The Hummingbird middleware that opens the scope with the request's connection.
    struct Opening: RouterMiddleware {
        typealias Context = HubRequestContext

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            try await HubRequestScope.$current.withValue(HubRequestScope(channel: context.channel)) {
                try await next(request, context)
            }
        }
    }
}
