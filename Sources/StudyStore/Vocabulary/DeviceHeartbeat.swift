import Foundation

/// What a box tells the platform about itself every `sync.heartbeatIntervalSeconds`
/// (`POST /v1/devices/{device}/heartbeat`): what an operator needs from a box they cannot see.
///
/// Here, in the outbox's vocabulary, because it is the box–platform contract: the box (Sync)
/// encodes it and the hub (PlatformHub) decodes and validates it with the same type, so a field
/// renamed on one side fails to compile on the other. It names no device: the hub takes the
/// device from the client certificate.
public struct DeviceHeartbeat: Codable, Sendable, Hashable {
    /// Bumped when a field changes meaning; a hub refuses versions it does not read (400).
    public static let schemaVersion = 1
    /// The largest body a hub takes (413 beyond it).
    public static let maxBytes = 64 * 1024
    public static let maxModels = 32
    public static let maxDestinations = 16
    public static let maxErrors = 10
    public static let maxMessageLength = 500
    public static let maxNameLength = 128

    public var schema = DeviceHeartbeat.schemaVersion
    /// The box's clock when it sent this.
    public var sentAt: Date
    public var agentVersion: String
    /// Seconds since the agent started.
    public var uptimeSeconds: Double
    /// Each task's active model package.
    public var models: [Model]
    /// Unsent items per destination.
    public var backlog: [Backlog]
    /// Free bytes on the data folder's file system.
    public var freeDiskBytes: Int64
    /// Days until the disk's hard limit at the recent intake rate; nil without intake.
    public var daysOfCapacity: Double?
    /// The box's clock minus the platform's (its last `serverTime`, corrected by half the round
    /// trip); nil until the platform answered once.
    public var clockSkewSeconds: Double?
    /// The latest problems, newest first.
    public var errors: [RecentError]
    /// The root slots; nil on a box without A/B slots (development, tests).
    public var os: OS?

    public struct Model: Codable, Sendable, Hashable {
        public var task: String
        public var id: String
        public var version: String
        /// `clinical` or `demonstration` (a package that does not say is a demonstration).
        public var use: String

        public init(task: String, id: String, version: String, use: String) {
            (self.task, self.id, self.version, self.use) = (task, id, version, use)
        }
    }

    public struct Backlog: Codable, Sendable, Hashable {
        public var destination: String
        /// Items queued or being sent.
        public var count: Int
        public var bytes: Int64
        /// Age of the oldest unsent item; nil when none waits.
        public var oldestAgeSeconds: Double?

        public init(destination: String, count: Int, bytes: Int64, oldestAgeSeconds: Double?) {
            (self.destination, self.count, self.bytes, self.oldestAgeSeconds) = (destination, count, bytes, oldestAgeSeconds)
        }
    }

    public struct RecentError: Codable, Sendable, Hashable {
        public var at: Date
        /// What reported it: `sync-platform`, `heartbeat`, an audit event's kind.
        public var source: String
        public var message: String

        public init(at: Date, source: String, message: String) {
            (self.at, self.source, self.message) = (at, source, message)
        }
    }

    /// The OS as the box runs it: what the operator's device page shows beside the models.
    public struct OS: Codable, Sendable, Hashable {
        public static let maxSlotLength = 16
        /// The running system's version.
        public var version: String
        public var bootedSlot: String?
        /// The last OS update's outcome in words.
        public var lastOutcome: String?

        public init(version: String, bootedSlot: String?, lastOutcome: String?) {
            (self.version, self.bootedSlot, self.lastOutcome) = (version, bootedSlot, lastOutcome)
        }
    }

    public init(
        sentAt: Date, agentVersion: String, uptimeSeconds: Double, models: [Model], backlog: [Backlog],
        freeDiskBytes: Int64, daysOfCapacity: Double?, clockSkewSeconds: Double?, errors: [RecentError], os: OS? = nil
    ) {
        self.sentAt = sentAt
        self.agentVersion = agentVersion
        self.uptimeSeconds = uptimeSeconds
        self.models = models
        self.backlog = backlog
        self.freeDiskBytes = freeDiskBytes
        self.daysOfCapacity = daysOfCapacity
        self.clockSkewSeconds = clockSkewSeconds
        self.errors = errors
        self.os = os
    }

    /// Backlog items over every destination.
    /// Totals over destinations, saturating: a hostile document must not trap the hub.
    public var backlogCount: Int {
        backlog.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.count)
            return overflow ? .max : sum
        }
    }
    public var backlogBytes: Int64 {
        backlog.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.bytes)
            return overflow ? .max : sum
        }
    }
}
