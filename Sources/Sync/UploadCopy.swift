import DICOM
import Foundation
import POSIXSupport
import StudyStore

/// The copy of an instance the platform receives instead of the blob itself: pseudonymised
/// (`sync.pseudonymise`), re-encoded losslessly when that is smaller (`sync.losslessUploads`),
/// or both. The resumable upload reads from it. The same blob always gives the same bytes, and
/// a copy already on disk (an earlier attempt's) is used as it is, so a retry neither redoes the
/// work nor announces other bytes than the upload it resumes. Removed once the platform has it.
enum UploadCopy {
    struct Made: Sendable {
        var blob: OutboxBlob
        /// Bytes the lossless re-encoding saved (0 when the instance went as it is).
        var bytesSaved: Int64
    }

    /// The copy to upload, or nil when the blob goes as it is (no pseudonymisation asked for,
    /// and no lossless encoding smaller). Throws `.localData` when pseudonymisation is asked for
    /// and impossible: then nothing may be sent.
    static func make(
        of blob: OutboxBlob, pseudonymiser: Pseudonymiser?, recodesLosslessly: Bool, in folder: String
    ) async throws(SyncError) -> Made? {
        guard pseudonymiser != nil || (recodesLosslessly && blob.format == .dicom) else { return nil }
        let path = folder + "/" + blob.sha256 + (pseudonymiser != nil ? ".p" : "") + (recodesLosslessly ? ".l" : "") + ".dcm"
        if let existing = try? await BlockingIO.run({ try SHA256Hex.file(at: path) }) {
            var copy = blob
            copy.path = path
            copy.size = existing.size
            copy.sha256 = existing.hex
            return Made(blob: copy, bytesSaved: recodesLosslessly ? max(0, blob.size - existing.size) : 0)
        }
        let original = try await PlatformClient.read(blob: blob, offset: 0, count: Int(blob.size))
        do {
            return try await BlockingIO.run { () throws(SyncError) -> Made? in
                var bytes = original
                if let pseudonymiser { bytes = try pseudonymiser.pseudonymise(original) }
                var saved: Int64 = 0
                if recodesLosslessly, case .recoded(let recoded) = LosslessRecoder.smallest(bytes) {
                    saved = Int64(bytes.count - recoded.bytes.count)
                    bytes = recoded.bytes
                }
                if pseudonymiser == nil && saved == 0 { return nil }
                try write(bytes, to: path, folder: folder)
                var copy = blob
                copy.path = path
                copy.size = Int64(bytes.count)
                copy.sha256 = SHA256Hex.string(of: bytes)
                return Made(blob: copy, bytesSaved: saved)
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.localStorage, "making the upload copy of \(blob.sha256): \(error)")
        }
    }

    /// Writes the copy atomically (temp file, fsync, rename): a copy on disk is always whole.
    static func write(_ bytes: [UInt8], to path: String, folder: String) throws(SyncError) {
        do {
            try Posix.makeDirectories(folder, mode: 0o700)
            // A copy the box can make again: no folder fsync.
            try bytes.withUnsafeBytes { buffer in
                try Posix.replaceFile(path, with: buffer, mode: 0o600, syncDirectory: false)
            }
        } catch {
            throw SyncError(.localStorage, "writing the upload copy \(path): \(error)")
        }
    }

    static func remove(_ copy: OutboxBlob) {
        try? Posix.unlink(copy.path)
    }

    /// Where the agent keeps copies in flight (named when it held only pseudonymised copies).
    static func folder(in directory: DataDirectory) -> String {
        directory.path + "/sync/pseudonymised"
    }
}
