import Crypto
import _CryptoExtras
import Foundation

/// A password stored as PBKDF2-HMAC-SHA256 (swift-crypto has no Argon2 or scrypt); only the hash,
/// the salt and the round count are kept.
public struct PasswordHash: Sendable, Hashable, Codable {
    public static let algorithm = "pbkdf2-sha256"
    public static let minimumRounds = 210_000

    public var algorithm: String
    public var rounds: Int
    /// Base64.
    public var salt: String
    /// Base64 of 32 derived bytes.
    public var hash: String

    /// Hashes `password` with a fresh 16-byte salt.
    public static func make(password: String, rounds: Int = minimumRounds) throws(BrowserAccessError) -> PasswordHash {
        let salt = Data(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
        let derived = try derive(password: password, salt: salt, rounds: max(rounds, minimumRounds))
        return PasswordHash(algorithm: algorithm, rounds: max(rounds, minimumRounds), salt: salt.base64EncodedString(), hash: derived.base64EncodedString())
    }

    /// Constant-time comparison of the derived key.
    public func matches(_ password: String) -> Bool {
        guard algorithm == Self.algorithm, let salt = Data(base64Encoded: salt), let expected = Data(base64Encoded: hash),
              let derived = try? Self.derive(password: password, salt: salt, rounds: rounds) else { return false }
        return ConstantTime.equal(Array(derived), Array(expected))
    }

    private static func derive(password: String, salt: Data, rounds: Int) throws(BrowserAccessError) -> Data {
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds
            )
            return key.withUnsafeBytes { Data($0) }
        } catch {
            throw BrowserAccessError(.passwordHash, "\(error)")
        }
    }
}

/// Comparisons that take the same time whatever the bytes.
public enum ConstantTime {
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    public static func equal(_ lhs: String, _ rhs: String) -> Bool { equal(Array(lhs.utf8), Array(rhs.utf8)) }
}

/// Random tokens for sessions, CSRF, first-start passwords and new operators' passwords.
public enum RandomToken {
    /// URL-safe base64 of `bytes` random bytes.
    public static func make(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A password a person can type on a tablet: 4 groups of 4 from an unambiguous alphabet (~80 bits).
    public static func password() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String((0..<4).map { _ in alphabet.randomElement(using: &generator)! }) }.joined(separator: "-")
    }
}
