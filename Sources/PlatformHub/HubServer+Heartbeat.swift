import Foundation
import Hummingbird
import Logging
import NIOCore
import StudyStore

extension HubServer {
    /// `POST /v1/devices/{device}/heartbeat`: the box's figures (``DeviceHeartbeat``), from the
    /// device its certificate names only. The body is bounded and checked whole before anything
    /// is written: too large is 413, anything else wrong 400 with the reason, and neither
    /// changes what the hub holds. The reply carries the hub's clock like hello's.
    static func addHeartbeatRoute(to router: Router<HubRequestContext>, store: any HubStoring, tls: Bool, logger: Logger) {
        router.post("/v1/devices/:device/heartbeat") { request, context -> Response in
            let named = try Self.pathParameter("device", context)
            guard isValidDeviceID(named) else { return problem(HubError(.badRequest, "bad device id")) }
            let device: String
            do {
                device = try await DeviceIdentity.of(request, context: context, tls: tls, store: store, pathDevice: named)
            } catch {
                return problem(error)
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: DeviceHeartbeat.maxBytes)
            } catch {
                return problem(HubError(.tooLarge, "a heartbeat is at most \(DeviceHeartbeat.maxBytes) bytes"))
            }
            let heartbeat: DeviceHeartbeat
            do {
                heartbeat = try DeviceHeartbeat.parse(Array(buffer: body))
            } catch let error as HeartbeatError {
                logger.warning("heartbeat refused", metadata: ["device": "\(device)", "reason": "\(error)"])
                return problem(HubError(error.isTooLarge ? .tooLarge : .badRequest, error.description))
            } catch {
                return problem(HubError(.badRequest, "\(error)"))
            }
            do {
                // The canonical encoding is kept, not the bytes received: no unknown fields.
                try await store.recordHeartbeat(device: device, heartbeat: heartbeat, document: heartbeat.encoded())
            } catch {
                return problem(error)
            }
            return json(["device": device, "serverTime": ISO8601DateFormatter().string(from: Date())], status: .ok)
        }
    }
}
