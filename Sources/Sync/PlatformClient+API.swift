import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import PlatformAPIClient
import PlatformAPITypes

/// The generated client of docs/platform-api.yaml (PlatformAPIClient) for the JSON operations.
/// Document PUTs stay hand-written (``PlatformClient/putDocument(collection:key:body:)``): the
/// box sends the outbox's bytes as they are, since the key, Content-SHA256 and "same key, same
/// content" are over those bytes, and the contract's document schemas name only the fields the
/// platform reads (typed encoding would drop the rest of a report). So do the streaming upload
/// and download.
extension PlatformClient {
    /// The generated client on the HTTP client of the moment (mutual TLS once enrolled).
    /// `identified`: the request names the device and counts as one (all but the probe).
    func api(deadline: TimeAmount, identified: Bool = true) -> Client {
        Client(
            serverURL: serverURL,
            configuration: .platformAPI,
            transport: AsyncHTTPClientTransport(configuration: .init(client: http, timeout: deadline)),
            middlewares: identified ? [PlatformDeviceMiddleware(deviceID: settings.deviceID, counters: counters)] : []
        )
    }

    /// Runs one operation of the generated client. No answer (transport failure, timeout,
    /// cancellation) is `.unreachable` and a 5xx the API cannot read `.serverError`: both retried
    /// as before; any other answer that is not what the document describes is a protocol violation.
    func call<Output: Sendable>(
        _ what: String, deadline: TimeAmount, _ operation: (Client) async throws -> Output
    ) async throws(SyncError) -> Output {
        do {
            return try await operation(api(deadline: deadline))
        } catch let error as ClientError {
            guard let response = error.response else {
                if error.underlyingError is CancellationError { throw SyncError(.unreachable, "cancelled") }
                throw SyncError(.unreachable, "\(what): \(error.underlyingError)")
            }
            let status = response.status.code
            if status >= 500 { throw SyncError(.serverError, "\(what): HTTP \(status) (\(error.causeDescription))") }
            throw SyncError(.protocolViolation, "\(what): the answer (HTTP \(status)) is not what docs/platform-api.yaml describes: \(error.causeDescription): \(error.underlyingError)")
        } catch is CancellationError {
            throw SyncError(.unreachable, "cancelled")
        } catch {
            throw SyncError(.unreachable, "\(what): \(error)")
        }
    }

    /// The `detail` of a problem answer.
    static func detail(_ problem: Components.Responses.Problem) -> String {
        switch problem.body {
        case .json(let body): body.detail
        }
    }

    /// The body of an answer the document does not list (for ``detail(_:)``, at most 1 MiB).
    static func bytes(of payload: UndocumentedPayload) async -> [UInt8] {
        guard let body = payload.body else { return [] }
        return (try? await [UInt8](collecting: body, upTo: 1 << 20)) ?? []
    }

    /// The operation's error for a problem answer with `status`, as ``error(status:body:what:)`` makes it.
    static func error(status: Int, problem: Components.Responses.Problem, what: String) -> SyncError {
        if status >= 500 { return SyncError(.serverError, "\(what): HTTP \(status): \(detail(problem))") }
        return SyncError(.protocolViolation, "\(what): unexpected HTTP \(status): \(detail(problem))")
    }
}
