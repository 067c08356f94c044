import BrowserAccess
import Foundation

/// One person's console account: a login name, a role and the PBKDF2 hash of the password.
public struct ConsoleOperator: Sendable, Hashable {
    public var name: String
    public var role: OperatorRole
    public var passwordHash: PasswordHash
    public var createdAt: Date

    public init(name: String, role: OperatorRole, passwordHash: PasswordHash, createdAt: Date = Date()) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    /// Login names: 1 to 64 of letters, digits and `._-` (they appear in the audit and in URLs).
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0) }
    }

    /// Passwords: at least 12 characters (a person chooses it; the hub cannot ask a second factor).
    public static let minimumPasswordLength = 12

    /// The hash kept in the store's one text column.
    func encodedHash() throws(HubError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(passwordHash), as: UTF8.self)
        } catch {
            throw HubError(.storage, "encoding \(name)'s password hash: \(error)")
        }
    }

    static func decodeHash(_ text: String, name: String) throws(HubError) -> PasswordHash {
        do {
            return try JSONDecoder().decode(PasswordHash.self, from: Data(text.utf8))
        } catch {
            throw HubError(.storage, "the password hash of operator \(name) does not read back: \(error)")
        }
    }
}
