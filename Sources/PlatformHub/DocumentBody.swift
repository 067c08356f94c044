import POSIXSupport

/// A document's bytes as they arrived and their SHA-256 (lower-case hex), hashed once: the
/// request's Content-SHA256 is checked against it and the store keeps it as the item's digest.
public struct DocumentBody: Sendable, Equatable {
    public let bytes: [UInt8]
    public let sha256: String

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        sha256 = SHA256Hex.string(of: bytes)
    }
}
