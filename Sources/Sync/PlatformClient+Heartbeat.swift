import AsyncHTTPClient
import Foundation
import NIOCore
import OpenAPIRuntime
import PlatformAPIClient
import PlatformAPITypes
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
        let document = try Self.contract(heartbeat.bounded())
        let device = settings.deviceID
        return try await clockExchange("heartbeat") { client in
            switch try await client.heartbeat(path: .init(device: device), body: .json(document)) {
            case .ok(let ok): switch ok.body { case .json(let reply): return .answered(reply) }
            case .badRequest(let problem): return .refused(400, Self.detail(problem))
            case .forbidden(let problem): return .refused(403, Self.detail(problem))
            case .contentTooLarge(let problem): return .refused(413, Self.detail(problem))
            case .serviceUnavailable(let problem): return .failed(503, Self.detail(problem))
            case .undocumented(let status, let payload): return .undocumented(status, await Self.bytes(of: payload))
            }
        }
    }

    /// Hello, timed: the clock reading of its reply.
    public func timedHello(version: String) async throws(SyncError) -> PlatformClockReading? {
        let device = settings.deviceID
        return try await clockExchange("hello") { client in
            switch try await client.hello(path: .init(device: device), body: .json(.init(version: version))) {
            case .ok(let ok): switch ok.body { case .json(let reply): return .answered(reply) }
            case .badRequest(let problem): return .refused(400, Self.detail(problem))
            case .forbidden(let problem): return .refused(403, Self.detail(problem))
            case .serviceUnavailable(let problem): return .failed(503, Self.detail(problem))
            case .undocumented(let status, let payload): return .undocumented(status, await Self.bytes(of: payload))
            }
        }
    }

    /// The answers of hello and heartbeat, which share their reply.
    enum ClockAnswer: Sendable {
        case answered(Components.Schemas.HelloReply)
        case refused(Int, String)
        case failed(Int, String)
        case undocumented(Int, [UInt8])
    }

    private func clockExchange(
        _ what: String, _ operation: (Client) async throws -> ClockAnswer
    ) async throws(SyncError) -> PlatformClockReading? {
        let sent = Date()
        let answer = try await call(what, deadline: .seconds(15), operation)
        let received = Date()
        switch answer {
        case .answered(let reply):
            return PlatformClockReading(platformTime: reply.serverTime, localTime: sent.addingTimeInterval(received.timeIntervalSince(sent) / 2))
        case .refused(let status, let detail):
            throw SyncError(.refused, "\(what) refused: HTTP \(status): \(detail)")
        case .failed(let status, let detail):
            throw SyncError(.serverError, "\(what): HTTP \(status): \(detail)")
        case .undocumented(let status, let body) where (400..<500).contains(status):
            throw SyncError(.refused, "\(what) refused: HTTP \(status): \(Self.detail(body))")
        case .undocumented(let status, let body):
            throw Self.error(status: status, body: body, what: what)
        }
    }

    /// The heartbeat as docs/platform-api.yaml has it: a field the document renames or drops
    /// no longer compiles here.
    static func contract(_ beat: DeviceHeartbeat) throws(SyncError) -> Components.Schemas.Heartbeat {
        guard let schema = Components.Schemas.Heartbeat.SchemaPayload(rawValue: beat.schema) else {
            throw SyncError(.protocolViolation, "heartbeat schema \(beat.schema) is not one docs/platform-api.yaml has")
        }
        return Components.Schemas.Heartbeat(
            schema: schema, sentAt: beat.sentAt, agentVersion: beat.agentVersion, uptimeSeconds: beat.uptimeSeconds,
            // A package that does not say what it is for is a demonstration's.
            models: beat.models.map { .init(task: $0.task, id: $0.id, version: $0.version, use: .init(rawValue: $0.use) ?? .demonstration) },
            backlog: beat.backlog.map {
                .init(destination: $0.destination, count: Int64($0.count), bytes: $0.bytes, oldestAgeSeconds: $0.oldestAgeSeconds)
            },
            freeDiskBytes: beat.freeDiskBytes, daysOfCapacity: beat.daysOfCapacity, clockSkewSeconds: beat.clockSkewSeconds,
            errors: beat.errors.map { .init(at: $0.at, source: $0.source, message: $0.message) },
            os: beat.os.map { .init(version: $0.version, bootedSlot: $0.bootedSlot, lastOutcome: $0.lastOutcome) }
        )
    }
}
