import GRDB

public enum AuditSeverity: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case info
    case warning
    case error
}
