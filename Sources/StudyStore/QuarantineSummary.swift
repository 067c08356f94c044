import Foundation

/// What quarantine/ holds, for status views.
public struct QuarantineSummary: Sendable, Hashable, Codable {
    public var files: Int
    public var bytes: UInt64
    /// The newest file's name ("20261206T081500Z-<sha256>"), if any.
    public var newest: String?
    public var maximumFiles: Int
    public var maximumBytes: UInt64
}
