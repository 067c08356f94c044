import GRDB

/// Delivery order: alerts before results before images before telemetry.
public enum OutboxPriority: Int, Sendable, Codable, CaseIterable, Comparable, DatabaseValueConvertible {
    case telemetry = 0
    case image = 1
    case result = 2
    case alert = 3

    public static func < (lhs: OutboxPriority, rhs: OutboxPriority) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String {
        switch self {
        case .telemetry: "telemetry"
        case .image: "image"
        case .result: "result"
        case .alert: "alert"
        }
    }
}
