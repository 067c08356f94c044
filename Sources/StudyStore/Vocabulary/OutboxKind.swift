import GRDB

/// What an outbox item carries.
public struct OutboxKind: RawRepresentable, Hashable, Sendable, Codable, DatabaseValueConvertible, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The bytes of a stored instance.
    public static let instance = OutboxKind(rawValue: "instance")
    /// An analysis result (report, findings, overlay reference).
    public static let result = OutboxKind(rawValue: "result")

    public var description: String { rawValue }
}
