import Crypto
import Foundation
import POSIXSupport

/// An Ed25519 public key a box trusts to sign model packages.
///
/// Written as `ed25519:` followed by the base64 of its 32 raw bytes (the `ed25519:` prefix may
/// be left out). Its id, the first 8 bytes of the SHA-256 of the raw key in hex, names the key
/// in signatures and messages.
public struct ModelPublicKey: Sendable, Hashable, CustomStringConvertible {
    public let rawRepresentation: Data

    public init(rawRepresentation: Data) throws(ModelPackageError) {
        guard rawRepresentation.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)) != nil else {
            throw ModelPackageError(.invalidKey, "an Ed25519 public key is 32 bytes, found \(rawRepresentation.count)")
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Parses `ed25519:BASE64` or bare base64; surrounding white space is ignored.
    public init(parsing text: String) throws(ModelPackageError) {
        var body = Substring(text.filter { !$0.isWhitespace })
        if body.hasPrefix(Self.prefix) { body = body.dropFirst(Self.prefix.count) }
        guard let raw = Data(base64Encoded: String(body)) else {
            throw ModelPackageError(.invalidKey, "\"\(text.prefix(80))\" is not ed25519:BASE64")
        }
        try self.init(rawRepresentation: raw)
    }

    static let prefix = "ed25519:"

    /// `ed25519:BASE64`.
    public var text: String { Self.prefix + rawRepresentation.base64EncodedString() }

    /// 16 hex digits: the first 8 bytes of SHA-256(raw key).
    public var keyID: String {
        SHA256Hex.string(SHA256.hash(data: rawRepresentation).prefix(8))
    }

    public var description: String { "key \(keyID)" }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// The project's demo signing key (tools/model/keys): the default trusted key, so the shipped
    /// demo package loads out of the box. A deployment that takes real models should list its own
    /// keys in `inference.trustedKeys` and leave this one out.
    public static let demoKeyText = "ed25519:GOtJAj1qihSoSIm0CastbmKH/UhtI98m24eObqMXqYM="
}
