import GRDB

/// A place outbox items are delivered to; each destination drains on its own.
public struct Destination: RawRepresentable, Hashable, Sendable, Codable, DatabaseValueConvertible, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The central platform's device API.
    public static let platform = Destination(rawValue: "platform")
    /// A PACS reached by DICOMweb STOW-RS.
    public static let dicomweb = Destination(rawValue: "dicomweb")
    /// A PACS or viewer reached by C-STORE: the peer of `dicom.peers` with this AE title.
    public static func dimse(_ aeTitle: String) -> Destination { Destination(rawValue: dimsePrefix + aeTitle) }
    static let dimsePrefix = "dimse:"

    /// The peer's AE title of a `dimse` destination (`dimse:PACS`), nil for any other.
    public var dimseAETitle: String? {
        guard rawValue.hasPrefix(Self.dimsePrefix), rawValue.count > Self.dimsePrefix.count else { return nil }
        return String(rawValue.dropFirst(Self.dimsePrefix.count))
    }

    public var description: String { rawValue }
}
