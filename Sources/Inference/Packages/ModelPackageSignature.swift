import Foundation
import POSIXSupport

/// `manifest.sig`: an Ed25519 signature over the exact bytes of `manifest.json`, and the id of
/// the key that made it.
///
///     {"algorithm": "ed25519", "keyId": "0123456789abcdef", "signature": "BASE64"}
public struct ModelPackageSignature: Codable, Sendable, Hashable {
    public var algorithm: String
    /// ``ModelPublicKey/keyID`` of the signing key.
    public var keyId: String
    /// Base64 of the 64-byte signature.
    public var signature: String

    public init(algorithm: String = "ed25519", keyId: String, signature: String) {
        self.algorithm = algorithm
        self.keyId = keyId
        self.signature = signature
    }

    /// Signs manifest bytes.
    public static func sign(manifest: Data, with key: ModelSigningKey) throws(ModelPackageError) -> ModelPackageSignature {
        let signature = try key.signature(for: manifest)
        return ModelPackageSignature(keyId: key.publicKey.keyID, signature: signature.base64EncodedString())
    }

    /// Parses the signature file, refusing anything that is not one Ed25519 signature.
    public static func parse(_ bytes: Data) throws(ModelPackageError) -> ModelPackageSignature {
        let parsed: ModelPackageSignature
        do {
            parsed = try JSONDecoder().decode(ModelPackageSignature.self, from: bytes)
        } catch {
            throw ModelPackageError(.malformedSignature, "\(ModelPackageManifest.signatureFileName) is not a signature document: \(error)", underlying: error)
        }
        guard parsed.algorithm == "ed25519" else {
            throw ModelPackageError(.malformedSignature, "algorithm \(parsed.algorithm) is not supported (ed25519)")
        }
        guard parsed.signatureBytes?.count == 64 else {
            throw ModelPackageError(.malformedSignature, "the signature is not 64 bytes of base64")
        }
        return parsed
    }

    public var signatureBytes: Data? { Data(base64Encoded: signature) }

    /// The file's bytes (pretty JSON, sorted keys, trailing newline).
    public func encoded() -> Data {
        // Encoding three strings cannot fail.
        return (try! JSONEncoder.indented(escapingSlashes: false).encode(self)) + Data("\n".utf8)
    }
}
