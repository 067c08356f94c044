import Foundation
import GRDB
import POSIXSupport

extension StudyStore {
    /// Files in quarantine/ with their sizes, oldest first (names begin with the UTC time).
    private func quarantineEntries() throws(StoreError) -> [(name: String, bytes: UInt64)] {
        do {
            return try Posix.directoryEntries(directory.quarantinePath).sorted().map { name throws(SystemCallError) in
                (name, UInt64(max(0, try Posix.fileStatus(directory.quarantinePath + "/" + name, followLinks: false).size)))
            }
        } catch {
            throw StoreError.fileSystem(error, while: "reading \(directory.quarantinePath)")
        }
    }

    public func quarantineSummary() throws(StoreError) -> QuarantineSummary {
        let entries = try quarantineEntries()
        return QuarantineSummary(
            files: entries.count, bytes: entries.reduce(0) { $0 + $1.bytes }, newest: entries.last?.name,
            maximumFiles: configuration.retention.quarantineMaximumFiles, maximumBytes: configuration.retention.quarantineMaximumBytes
        )
    }

    /// Removes the oldest quarantined files until quarantine/ is within its bounds; each removal
    /// is audited. Returns how many went. Runs after every quarantining and in the retention pass.
    @discardableResult
    public func enforceQuarantineBounds() throws(StoreError) -> Int {
        var entries = try quarantineEntries()
        var bytes = entries.reduce(0) { $0 + $1.bytes }
        let policy = configuration.retention
        var removed: [String] = []
        while !entries.isEmpty, entries.count > policy.quarantineMaximumFiles || bytes > policy.quarantineMaximumBytes {
            let oldest = entries.removeFirst()
            do {
                try Posix.unlink(directory.quarantinePath + "/" + oldest.name)
            } catch {
                throw StoreError.fileSystem(error, while: "evicting quarantine/\(oldest.name)")
            }
            bytes -= oldest.bytes
            removed.append(oldest.name)
        }
        guard !removed.isEmpty else { return 0 }
        try? Posix.fsyncDirectory(directory.quarantinePath)
        try write("recording quarantine eviction") { db in
            var event = AuditEventRecord(
                kind: "quarantine.evicted", severity: .warning,
                message: "quarantine past its bound (\(policy.quarantineMaximumFiles) files, \(policy.quarantineMaximumBytes) bytes): "
                    + "the \(removed.count) oldest file(s) removed",
                details: ["files": removed.joined(separator: ",")]
            )
            try event.insert(db)
        }
        logger.warning("quarantine past its bound: oldest files removed", metadata: ["count": "\(removed.count)"])
        return removed.count
    }

    /// A technician empties quarantine/ after looking at it; audited with who did it.
    @discardableResult
    public func clearQuarantine(by actor: String) throws(StoreError) -> QuarantineSummary {
        let before = try quarantineSummary()
        for entry in try quarantineEntries() {
            do {
                try Posix.unlink(directory.quarantinePath + "/" + entry.name)
            } catch {
                throw StoreError.fileSystem(error, while: "clearing quarantine/\(entry.name)")
            }
        }
        try? Posix.fsyncDirectory(directory.quarantinePath)
        try write("recording the quarantine clearing") { db in
            var event = AuditEventRecord(
                kind: "quarantine.cleared", severity: .info,
                message: "\(actor) cleared the quarantine: \(before.files) file(s), \(before.bytes) bytes",
                details: ["by": actor, "files": String(before.files), "bytes": String(before.bytes)]
            )
            try event.insert(db)
        }
        return before
    }
}
