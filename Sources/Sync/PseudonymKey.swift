import Crypto
import Foundation
import POSIXSupport
import StudyStore

/// The device-held key of the patient pseudonym: 32 random bytes made once in the data folder
/// (keys/pseudonym.key, mode 0600, folder 0700) and kept for the life of the box, so a patient's
/// pseudonym stays the same across restarts and updates. Losing it breaks the platform's links
/// between visits, never the box.
public enum PseudonymKey {
    public static func path(in directory: DataDirectory) -> String {
        directory.path + "/keys/pseudonym.key"
    }

    /// Reads the key, creating it (durably) when the box has none yet.
    public static func loadOrCreate(in directory: DataDirectory) throws(SyncError) -> SymmetricKey {
        let path = path(in: directory)
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw SyncError(.configuration, "\(path) holds \(data.count) bytes, not a 32-byte key; move it aside only if no pseudonym must stay linkable")
            }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let folder = directory.path + "/keys"
        let temporary = folder + "/.pseudonym.key.\(getpid())"
        do {
            try Posix.makeDirectories(folder, mode: 0o700)
            try key.withUnsafeBytes { bytes in
                try Posix.replaceFile(path, with: bytes, mode: 0o600, temporary: temporary)
            }
        } catch {
            throw SyncError(.configuration, "creating the pseudonym key \(path): \(error)")
        }
        return key
    }
}
