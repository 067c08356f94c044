import Foundation

/// The last `fluorobox os install` or `mark-good` on this box, kept on /data so that `status`
/// can tell, after a reboot, whether an update took (its slot booted and marked good) or failed
/// (the box is back on the other slot because the new one never became ready).
public struct OSUpdateRecord: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        /// RAUC wrote the bundle into `slot`; it boots on trial at the next reboot.
        case installed
        /// The bundle was refused before anything was written.
        case refused
        /// RAUC failed while installing (the slot it wrote is marked bad).
        case failed
        /// `slot` ran the agent to ready and was marked good.
        case markedGood = "marked-good"
    }

    public var event: Event
    public var bundle: String?
    public var version: String?
    public var slot: String?
    public var detail: String?
    public var at: String

    public init(event: Event, bundle: String? = nil, version: String? = nil, slot: String? = nil, detail: String? = nil, at: Date = Date()) {
        self.event = event
        self.bundle = bundle
        self.version = version
        self.slot = slot
        self.detail = detail
        self.at = ISO8601DateFormatter().string(from: at)
    }
}
