import Foundation
import PlatformAPITypes
import StudyStore

extension HubAPI {
    /// `POST /v1/devices/{device}/heartbeat`: the box's figures (``DeviceHeartbeat``), from the
    /// device its certificate names only. The body (bounded by ``HubAPIMiddleware``: too large is
    /// 413) is read whole by the box's own decoder before anything is written: anything wrong is
    /// 400 with the reason, and changes nothing the hub holds. The reply carries the hub's clock
    /// like hello's.
    func heartbeat(_ input: Operations.Heartbeat.Input) async throws -> Operations.Heartbeat.Output {
        let device = try HubRequestScope.device()
        let heartbeat: DeviceHeartbeat
        do {
            heartbeat = try DeviceHeartbeat.parse(try HubRequestScope.body())
        } catch let error as HeartbeatError {
            logger.warning("heartbeat refused", metadata: ["device": "\(device)", "reason": "\(error)"])
            throw HubError(error.isTooLarge ? .tooLarge : .badRequest, error.description)
        }
        // The canonical encoding is kept, not the bytes received: no unknown fields.
        try await store.recordHeartbeat(device: device, heartbeat: heartbeat, document: heartbeat.encoded())
        return .ok(.init(body: .json(.init(device: device, serverTime: Date()))))
    }
}
