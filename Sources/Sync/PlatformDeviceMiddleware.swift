import Foundation
import HTTPTypes
import OpenAPIRuntime

/// What every request of the generated client carries and counts, as the hand-written ones do
/// in ``PlatformClient/send(_:deadline:)``: the device's own id in `Fluorobox-Device` (under TLS
/// the hub identifies the device by its certificate and refuses a header naming another; a
/// plain-HTTP development hub trusts the header), and one more request in the sync counters.
struct PlatformDeviceMiddleware: ClientMiddleware {
    let deviceID: String
    let counters: SyncCounters

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        counters.update { $0.requests += 1 }
        var request = request
        request.headerFields[HTTPField.Name("Fluorobox-Device")!] = deviceID
        return try await next(request, body, baseURL)
    }
}
