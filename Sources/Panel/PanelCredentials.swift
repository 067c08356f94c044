import BrowserAccess
import Foundation
import POSIXSupport

/// The per-device passwords, one per role, kept only as hashes in `<data>/panel/credentials.json`
/// (mode 0600). Made at first start; the plain passwords are returned once so the agent can print them.
public struct PanelCredentials: Sendable, Codable {
    public var hashes: [String: PasswordHash]
    public var createdAt: Date

    public func hash(for role: PanelRole) -> PasswordHash? { hashes[role.rawValue] }

    public static func path(dataDirectory: String) -> String { dataDirectory + "/panel/credentials.json" }

    /// Reads the credentials, creating them (and returning the new passwords) when absent.
    public static func loadOrCreate(
        dataDirectory: String, rounds: Int = PasswordHash.minimumRounds
    ) throws(PanelError) -> (credentials: PanelCredentials, newPasswords: [PanelRole: String]) {
        let path = path(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: path) {
            do {
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                let credentials = try decoder.decode(PanelCredentials.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                if PanelRole.allCases.allSatisfy({ credentials.hash(for: $0) != nil }) { return (credentials, [:]) }
            } catch {
                throw PanelError(.credentials, "\(path) is unreadable (\(error)); remove it to make new passwords")
            }
        }
        var passwords: [PanelRole: String] = [:]
        var hashes: [String: PasswordHash] = [:]
        for role in PanelRole.allCases {
            let password = RandomToken.password()
            passwords[role] = password
            hashes[role.rawValue] = try hash(password, rounds: rounds)
        }
        let credentials = PanelCredentials(hashes: hashes, createdAt: Date())
        try credentials.write(to: path)
        return (credentials, passwords)
    }

    /// Sets a new password for `role` (`fluorobox panel-password`, tests).
    public static func setPassword(_ password: String, for role: PanelRole, dataDirectory: String, rounds: Int = PasswordHash.minimumRounds) throws(PanelError) {
        var (credentials, _) = try loadOrCreate(dataDirectory: dataDirectory, rounds: rounds)
        credentials.hashes[role.rawValue] = try hash(password, rounds: rounds)
        try credentials.write(to: path(dataDirectory: dataDirectory))
    }

    private static func hash(_ password: String, rounds: Int) throws(PanelError) -> PasswordHash {
        do {
            return try PasswordHash.make(password: password, rounds: rounds)
        } catch {
            throw PanelError(.credentials, error.description)
        }
    }

    /// Written to a temp file, fsync'd and renamed, owner-only.
    func write(to path: String) throws(PanelError) {
        let encoder = JSONEncoder.indented()
        do {
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = try encoder.encode(self)
            try data.withUnsafeBytes { bytes in
                try Posix.replaceFile(path, with: bytes, mode: 0o600)
            }
        } catch {
            throw PanelError(.credentials, "cannot write \(path): \(error)")
        }
    }
}

extension PanelCredentials {
    /// A random password a person can type on a tablet.
    public static func generatePassword() -> String { RandomToken.password() }
}
