import Foundation
import StudyStore

/// One heartbeat as the hub keeps it: the device's document and when the hub received it (by
/// the hub's clock, which is what "last seen" and an operator's "how long ago" go by).
public struct HubHeartbeat: Codable, Sendable, Hashable {
    public var device: String
    public var receivedAt: Date
    public var heartbeat: DeviceHeartbeat

    public init(device: String, receivedAt: Date, heartbeat: DeviceHeartbeat) {
        self.device = device
        self.receivedAt = receivedAt
        self.heartbeat = heartbeat
    }

    /// How many heartbeats the hub keeps per device (a day at the box's default 5 minutes);
    /// older ones are deleted as new ones arrive.
    public static let historyPerDevice = 288

    /// A kept document read back; the hub wrote it after validating it, so failing here means
    /// the database was changed behind the hub's back. Readers of many pass one `decoder`: each
    /// new one makes its date formatters, which cost more than the document (the console's
    /// device list reads thousands).
    static func decode(device: String, receivedAt: Date, json: String, decoder: JSONDecoder = DeviceHeartbeat.decoder) throws(HubError) -> HubHeartbeat {
        do {
            return HubHeartbeat(
                device: device, receivedAt: receivedAt,
                heartbeat: try decoder.decode(DeviceHeartbeat.self, from: Data(json.utf8))
            )
        } catch {
            throw HubError(.storage, "a kept heartbeat of \(device) does not read back: \(error)")
        }
    }
}
