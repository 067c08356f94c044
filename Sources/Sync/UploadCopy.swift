import Crypto
import Foundation
import POSIXSupport
import StudyStore

/// The pseudonymised copy of one blob on disk, for the resumable upload to read from. It is
/// made again on every attempt (the same bytes each time), written only when missing, and
/// removed once the platform has it.
enum PseudonymisedCopy {
    static func make(of blob: OutboxBlob, with pseudonymiser: Pseudonymiser, in folder: String) async throws(SyncError) -> OutboxBlob {
        let original = try await PlatformClient.read(blob: blob, offset: 0, count: Int(blob.size))
        let path = folder + "/" + blob.sha256 + ".dcm"
        do {
            return try await BlockingIO.run {
                let bytes = try pseudonymiser.pseudonymise(original)
                let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
                try write(bytes, to: path, folder: folder)
                var copy = blob
                copy.path = path
                copy.size = Int64(bytes.count)
                copy.sha256 = digest
                return copy
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.localStorage, "making the pseudonymised copy of \(blob.sha256): \(error)")
        }
    }

    /// Writes the copy unless a whole one is there already (temp file, fsync, rename).
    static func write(_ bytes: [UInt8], to path: String, folder: String) throws(SyncError) {
        if let status = try? Posix.fileStatus(path), status.size == Int64(bytes.count) { return }
        do {
            try Posix.makeDirectories(folder, mode: 0o700)
            // A copy the box can make again: no folder fsync.
            try bytes.withUnsafeBytes { buffer in
                try Posix.replaceFile(path, with: buffer, mode: 0o600, syncDirectory: false)
            }
        } catch {
            throw SyncError(.localStorage, "writing the pseudonymised copy \(path): \(error)")
        }
    }

    static func remove(_ copy: OutboxBlob) {
        try? Posix.unlink(copy.path)
    }

    /// Where the agent keeps copies in flight.
    static func folder(in directory: DataDirectory) -> String {
        directory.path + "/sync/pseudonymised"
    }
}
