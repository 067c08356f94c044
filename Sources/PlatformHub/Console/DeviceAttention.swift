import Foundation

/// Why a device needs a person, from its registry row and latest heartbeat: silent, an old
/// backlog, a nearly full disk, a wrong clock. The console lists devices with reasons first,
/// the most pressing first, each with its reasons shown.
public struct DeviceAttention: Sendable, Hashable {
    /// When a reason applies (console settings).
    public struct Thresholds: Sendable, Hashable {
        /// No contact for longer than this (a day).
        public var silentSeconds: Double = 86_400
        /// An unsent item older than this (two days).
        public var backlogAgeSeconds: Double = 2 * 86_400
        /// Fewer days of capacity left than this.
        public var diskDays: Double = 7
        /// A box clock off by more than this (the box's own clock check warns at 120 s).
        public var clockSkewSeconds: Double = 120

        public init() {}
    }

    /// In the order a person should act on them: a silent box says nothing else that can be
    /// trusted; a backlog is data at risk; a full disk is intake about to stop; a wrong clock
    /// misdates studies.
    public enum Reason: Sendable, Hashable, Comparable {
        /// `seconds` since the last contact; nil: enrolled but never heard from.
        case silent(seconds: Double?)
        case backlog(destination: String, oldestSeconds: Double)
        case diskNearlyFull(days: Double)
        case clockWrong(skewSeconds: Double)

        var rank: Int {
            switch self {
            case .silent: 0
            case .backlog: 1
            case .diskNearlyFull: 2
            case .clockWrong: 3
            }
        }

        /// How bad within its kind; larger is worse.
        var magnitude: Double {
            switch self {
            case .silent(let seconds): seconds ?? .infinity
            case .backlog(_, let age): age
            case .diskNearlyFull(let days): -days
            case .clockWrong(let skew): abs(skew)
            }
        }

        public static func < (lhs: Reason, rhs: Reason) -> Bool {
            lhs.rank != rhs.rank ? lhs.rank < rhs.rank : lhs.magnitude > rhs.magnitude
        }
    }

    public let device: HubDeviceListing
    public let institution: DeviceInstitution?
    /// Most pressing first; empty: nothing needs a person.
    public let reasons: [Reason]

    public init(device: HubDeviceListing, institution: DeviceInstitution?, now: Date, thresholds: Thresholds) {
        self.device = device
        self.institution = institution
        reasons = Self.reasons(device, now: now, thresholds: thresholds)
    }

    static func reasons(_ device: HubDeviceListing, now: Date, thresholds: Thresholds) -> [Reason] {
        // A revoked box is expected to be silent; it needs nobody.
        guard device.revokedAt == nil else { return [] }
        var reasons: [Reason] = []
        if let lastSeen = device.lastSeenAt {
            let silence = now.timeIntervalSince(lastSeen)
            if silence > thresholds.silentSeconds { reasons.append(.silent(seconds: silence)) }
        } else {
            reasons.append(.silent(seconds: nil))
        }
        if let beat = device.lastHeartbeat?.heartbeat {
            for entry in beat.backlog {
                if let age = entry.oldestAgeSeconds, age > thresholds.backlogAgeSeconds {
                    reasons.append(.backlog(destination: entry.destination, oldestSeconds: age))
                }
            }
            if let days = beat.daysOfCapacity, days < thresholds.diskDays { reasons.append(.diskNearlyFull(days: days)) }
            if let skew = beat.clockSkewSeconds, abs(skew) > thresholds.clockSkewSeconds { reasons.append(.clockWrong(skewSeconds: skew)) }
        }
        return reasons.sorted()
    }

    /// Devices needing a person first (by their most pressing reason), then the rest, revoked
    /// last; by id within each.
    public static func sorted(_ rows: [DeviceAttention]) -> [DeviceAttention] {
        rows.sorted { lhs, rhs in
            switch (lhs.reasons.first, rhs.reasons.first) {
            case let (left?, right?):
                return left != right ? left < right : lhs.device.id < rhs.device.id
            case (.some, nil):
                return true
            case (nil, .some):
                return false
            case (nil, nil):
                let (leftRevoked, rightRevoked) = (lhs.device.revokedAt != nil, rhs.device.revokedAt != nil)
                return leftRevoked != rightRevoked ? !leftRevoked : lhs.device.id < rhs.device.id
            }
        }
    }
}
