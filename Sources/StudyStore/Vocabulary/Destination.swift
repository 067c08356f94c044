import GRDB

/// A place outbox items are delivered to; each destination drains on its own.
public struct Destination: RawRepresentable, Hashable, Sendable, Codable, DatabaseValueConvertible, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The central platform's device API.
    public static let platform = Destination(rawValue: "platform")
    /// A PACS reached by DICOMweb STOW-RS.
    public static let dicomweb = Destination(rawValue: "dicomweb")

    public var description: String { rawValue }
}
