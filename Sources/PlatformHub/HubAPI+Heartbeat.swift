import Foundation
import PlatformAPITypes
import StudyStore

extension HubAPI {
    /// `POST /v1/devices/{device}/heartbeat`: the box's figures (``DeviceHeartbeat``), from the
    /// device its certificate names only. The body (bounded by ``HubAPIMiddleware``: too large is
    /// 413) was decoded by the generated code against the contract (a misfit is 400 with the
    /// box's own decoder's reason, see ``HubAPIMiddleware/refusal(_:body:)``); here every value
    /// is checked as the box's decoder checks it before anything is written: anything wrong is
    /// 400 with the reason, and changes nothing the hub holds. The reply carries the hub's clock
    /// like hello's.
    func heartbeat(_ input: Operations.Heartbeat.Input) async throws -> Operations.Heartbeat.Output {
        let device = try HubRequestScope.device()
        let heartbeat: DeviceHeartbeat
        do {
            switch input.body {
            case .json(let document): heartbeat = try DeviceHeartbeat(document).checked()
            }
        } catch let error as HeartbeatError {
            logger.warning("heartbeat refused", metadata: ["device": "\(device)", "reason": "\(error)"])
            throw HubError(error.isTooLarge ? .tooLarge : .badRequest, error.description)
        }
        // The canonical encoding is kept, not the bytes received: no unknown fields.
        try await store.recordHeartbeat(
            device: device, serial: try HubRequestScope.require().serial, heartbeat: heartbeat, document: heartbeat.encoded()
        )
        return .ok(.init(body: .json(.init(device: device, serverTime: Date()))))
    }
}

extension DeviceHeartbeat {
    /// The heartbeat the generated code decoded, unchecked (see ``checked()``): decoded once per
    /// request, not a second time from the bytes.
    init(_ document: Components.Schemas.Heartbeat) {
        self.init(
            sentAt: document.sentAt, agentVersion: document.agentVersion, uptimeSeconds: document.uptimeSeconds,
            models: document.models.map { Model(task: $0.task, id: $0.id, version: $0.version, use: $0.use.rawValue) },
            backlog: document.backlog.map {
                // A count past Int's range is implausible anyway; clamped, it fails no check it should.
                Backlog(destination: $0.destination, count: Int(clamping: $0.count), bytes: $0.bytes, oldestAgeSeconds: $0.oldestAgeSeconds)
            },
            freeDiskBytes: document.freeDiskBytes, daysOfCapacity: document.daysOfCapacity, clockSkewSeconds: document.clockSkewSeconds,
            errors: document.errors.map { RecentError(at: $0.at, source: $0.source, message: $0.message) }
        )
    }
}
