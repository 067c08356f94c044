import Foundation

/// The archive queue at a glance (`fluorobox-hub archive status`, and the console next).
public struct ArchiveStatus: Sendable, Codable, Equatable {
    /// A row that failed at least once and is not archived: the last error and what happens next.
    public struct Problem: Sendable, Codable, Equatable {
        public var device: String
        public var key: String
        /// `waiting` (retried at `nextAttemptAt`), `sending` or `failed` (waits for `archive retry`).
        public var state: String
        public var attempts: Int
        public var lastError: String
        public var nextAttemptAt: Date?
        public var enqueuedAt: Date
    }

    /// Rows per state: waiting, sending, archived, failed (absent states are 0).
    public var counts: [String: Int] = [:]
    /// When the oldest row not yet archived (waiting or sending) was queued.
    public var oldestWaiting: Date?
    /// Archived rows whose staged bytes are still kept (shared with an item not yet archived,
    /// or released at the next sweep).
    public var archivedNotReleased = 0
    public var problems: [Problem] = []

    public init() {}

    public func count(_ state: String) -> Int { counts[state] ?? 0 }
}
