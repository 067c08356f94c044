import Crypto
import Foundation

/// An Ed25519 private key that signs model package manifests.
///
/// Key file: text lines; lines starting with "#" are comments (a key file should say whose key
/// it is and how it may be used); the key line is `ed25519-private:` followed by the base64 of
/// the 32-byte seed.
public struct ModelSigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    public init() {
        key = Curve25519.Signing.PrivateKey()
    }

    public init(seed: Data) throws(ModelPackageError) {
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch {
            throw ModelPackageError(.invalidKey, "an Ed25519 private key is a 32-byte seed, found \(seed.count) bytes", underlying: error)
        }
    }

    /// Reads a key file's text.
    public init(fileText: String) throws(ModelPackageError) {
        let lines = fileText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line = lines.first(where: { $0.hasPrefix(Self.prefix) }),
              let seed = Data(base64Encoded: String(line.dropFirst(Self.prefix.count)))
        else {
            throw ModelPackageError(.invalidKey, "no \(Self.prefix)BASE64 line in the key file")
        }
        try self.init(seed: seed)
    }

    static let prefix = "ed25519-private:"

    public var publicKey: ModelPublicKey {
        // A key swift-crypto made always has a valid 32-byte public half.
        try! ModelPublicKey(rawRepresentation: key.publicKey.rawRepresentation)
    }

    /// The key file text, with `comment` lines on top.
    public func fileText(comment: [String]) -> String {
        var lines = comment.map { "# " + $0 }
        lines.append(Self.prefix + key.rawRepresentation.base64EncodedString())
        return lines.joined(separator: "\n") + "\n"
    }

    public func signature(for message: Data) throws(ModelPackageError) -> Data {
        do {
            return try key.signature(for: message)
        } catch {
            throw ModelPackageError(.invalidKey, "signing failed: \(error)", underlying: error)
        }
    }
}
