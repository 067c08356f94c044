import AsyncHTTPClient
import Foundation
import NIOCore
import StudyStore

/// The platform's clock as one exchange read it.
public struct PlatformClockReading: Sendable, Hashable {
    /// The platform's `serverTime`.
    public var platformTime: Date
    /// The box's clock half way through the exchange, when the platform most likely read its own.
    public var localTime: Date

    /// The box's clock minus the platform's.
    public var skewSeconds: Double { localTime.timeIntervalSince(platformTime) }
}

extension PlatformClient {
    /// `POST /v1/devices/{device}/heartbeat`. A 4xx is final for this document (the hub says
    /// why); the caller sends a fresh one at its next interval either way.
    public func heartbeat(_ heartbeat: DeviceHeartbeat) async throws(SyncError) -> PlatformClockReading? {
        var request = HTTPClientRequest(url: baseURL + "/v1/devices/\(settings.deviceID)/heartbeat")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: heartbeat.bounded().encoded()))
        return try await clockExchange(request, what: "heartbeat")
    }

    /// Hello, timed: the clock reading of its reply.
    public func timedHello(version: String) async throws(SyncError) -> PlatformClockReading? {
        var request = HTTPClientRequest(url: baseURL + "/v1/devices/\(settings.deviceID)/hello")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = (try? JSONSerialization.data(withJSONObject: ["version": version])) ?? Data("{}".utf8)
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await clockExchange(request, what: "hello")
    }

    private func clockExchange(_ request: HTTPClientRequest, what: String) async throws(SyncError) -> PlatformClockReading? {
        let sent = Date()
        let (status, _, body) = try await send(request, deadline: .seconds(15))
        let received = Date()
        switch status {
        case 200:
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            guard let time = (object?["serverTime"] as? String).flatMap({ ISO8601DateFormatter().date(from: $0) }) else { return nil }
            return PlatformClockReading(platformTime: time, localTime: sent.addingTimeInterval(received.timeIntervalSince(sent) / 2))
        case 400..<500:
            throw SyncError(.refused, "\(what) refused: HTTP \(status): \(Self.detail(body))")
        default:
            throw Self.error(status: status, body: body, what: what)
        }
    }
}
