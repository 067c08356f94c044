import GRDB

/// The delivery state of one outbox item.
public enum OutboxState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case queued
    case sending
    /// The receiver confirmed it durably.
    case sent
    /// The receiver refused it for good; kept visible with the reason.
    case rejected
}
