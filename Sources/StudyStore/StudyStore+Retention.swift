import Foundation
import GRDB
import POSIXSupport

extension StudyStore {
    /// Instances whose blob may go: present, delivered to every destination it was queued for,
    /// and not being read by an analysis right now. A pending analysis does not keep a synced
    /// blob (it is not unsynced data: a task with no active model would otherwise fill the disk
    /// until intake stops), but those go last: oldest without pending analysis first.
    private static let evictableSQL = """
        SELECT instance.* FROM instance
        WHERE blobState = 'present'
          AND EXISTS (SELECT 1 FROM outboxItem o WHERE o.instanceID = instance.id)
          AND NOT EXISTS (SELECT 1 FROM outboxItem o WHERE o.instanceID = instance.id AND o.state != 'sent')
          AND NOT EXISTS (SELECT 1 FROM analysis a WHERE a.instanceID = instance.id AND a.status = 'running')
        ORDER BY EXISTS (SELECT 1 FROM analysis a WHERE a.instanceID = instance.id AND a.status = 'pending'), receivedAt, id
        """

    /// Disk and store figures against the configured thresholds.
    public func storageReport() throws(StoreError) -> StorageReport {
        let space: FileSystemSpace
        do {
            space = try Posix.fileSystemSpace(directory.path)
        } catch {
            throw StoreError.fileSystem(error, while: "reading free space")
        }
        let (storeBytes, evictable) = try read("measuring the store") { db -> (UInt64, UInt64) in
            let total = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM instance WHERE blobState = 'present'") ?? 0
            let evictable = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM (\(Self.evictableSQL))") ?? 0
            return (UInt64(total), UInt64(evictable))
        }
        let policy = configuration.retention
        let soft = policy.softLimit.bytes(ofTotal: space.totalBytes)
        let hard = policy.hardLimit.bytes(ofTotal: space.totalBytes)
        var level = StorageLevel.normal
        if space.availableBytes < soft { level = .soft }
        if space.availableBytes < hard { level = .hard }
        if let maximum = policy.maximumStoreBytes {
            if storeBytes >= maximum { level = .hard } else if storeBytes >= maximum / 10 * 9 { level = max(level, .soft) }
        }
        return StorageReport(
            totalBytes: space.totalBytes, availableBytes: space.availableBytes, storeBytes: storeBytes,
            evictableBytes: evictable, unsyncedBytes: storeBytes - min(storeBytes, evictable),
            softLimitFreeBytes: soft, hardLimitFreeBytes: hard, maximumStoreBytes: policy.maximumStoreBytes,
            level: level
        )
    }

    /// Refuses an intake of `incomingBytes` that would cross the hard limit, after evicting
    /// synced blobs to make room. Every intake path calls this before it writes.
    public func admit(incomingBytes: Int64) throws(StoreError) {
        do {
            try admit(incomingBytes: incomingBytes, contentHash: nil)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "\(error)", underlying: error)
        }
    }

    /// ``admit(incomingBytes:)`` that, when refusing, first checks whether the bytes are already
    /// stored and throws ``AlreadyStored`` with their receipt instead.
    func admit(incomingBytes: Int64, contentHash: (() throws -> String)?) throws {
        if let reason = intakeSuspendedReason {
            throw StoreError(.storeDamaged, "intake is suspended: \(reason)")
        }
        let incoming = UInt64(max(0, incomingBytes))
        var report = try storageReport()
        var shortfall = Self.shortfall(report, incoming: incoming, policy: configuration.retention, towardsSoft: false)
        guard shortfall > 0 else { return }
        // Free down to the soft limit, not just the hard one, so the next intake does not evict again.
        let target = max(shortfall, Self.shortfall(report, incoming: incoming, policy: configuration.retention, towardsSoft: true))
        _ = try evict(atLeast: target, reason: "intake of \(ByteCount.format(incoming)) reached the hard limit")
        report = try storageReport()
        shortfall = Self.shortfall(report, incoming: incoming, policy: configuration.retention, towardsSoft: false)
        guard shortfall > 0 else { return }
        // A full store still answers for bytes it already holds: a modality re-sending an
        // instance after a lost response gets its success, not a refusal.
        if let contentHash, let hash = try? contentHash(), let receipt = try presentDuplicate(sha256: hash) {
            throw AlreadyStored(receipt: receipt)
        }
        let detail = "refusing \(ByteCount.format(incoming)): \(ByteCount.format(report.availableBytes)) free, the hard limit keeps \(ByteCount.format(report.hardLimitFreeBytes)) free"
            + (report.maximumStoreBytes.map { ", store cap \(ByteCount.format($0)) with \(ByteCount.format(report.storeBytes)) used" } ?? "")
            + "; \(ByteCount.format(report.unsyncedBytes)) are not yet synced and cannot be evicted"
        noteLevel(.hard, detail: detail)
        throw StoreError(.insufficientStorage, detail)
    }

    /// The receipt for bytes already on disk, if they are.
    func presentDuplicate(sha256: String) throws(StoreError) -> IntakeReceipt? {
        try read("looking up \(sha256)") { db in
            guard let instance = try InstanceRecord
                .filter(InstanceRecord.Columns.sha256 == sha256 && InstanceRecord.Columns.blobState == BlobState.present)
                .fetchOne(db) else { return nil }
            let study = try StudyRecord.fetchOne(db, key: instance.studyID)
            return IntakeReceipt(
                outcome: .duplicate, instanceID: instance.id!, studyID: instance.studyID,
                sopInstanceUID: instance.sopInstanceUID, studyInstanceUID: study?.studyInstanceUID ?? "",
                sha256: sha256, size: instance.size
            )
        }
    }

    /// Bytes to free so that `incoming` fits above the hard (or soft) limit and under the cap.
    static func shortfall(_ report: StorageReport, incoming: UInt64, policy: RetentionPolicy, towardsSoft: Bool) -> UInt64 {
        let floor = towardsSoft ? report.softLimitFreeBytes : report.hardLimitFreeBytes
        var needed: UInt64 = 0
        let required = floor + incoming
        if report.availableBytes < required { needed = required - report.availableBytes }
        if let maximum = policy.maximumStoreBytes {
            let cap = towardsSoft ? maximum / 10 * 9 : maximum
            if report.storeBytes + incoming > cap { needed = max(needed, report.storeBytes + incoming - cap) }
        }
        return needed
    }

    /// The maintenance pass: below the soft limit, evict synced blobs until above it again;
    /// warn (once per change of level) when that is not possible.
    @discardableResult
    public func enforceRetention() throws(StoreError) -> EvictionReport {
        let report = try storageReport()
        var eviction = EvictionReport()
        if report.level != .normal {
            let target = Self.shortfall(report, incoming: 0, policy: configuration.retention, towardsSoft: true)
            if target > 0 {
                eviction = try evict(atLeast: target, reason: "below the soft limit")
            }
        }
        let after = eviction.evictedInstances > 0 ? try storageReport() : report
        noteLevel(
            after.level,
            detail: "\(ByteCount.format(after.availableBytes)) free of \(ByteCount.format(after.totalBytes)); \(ByteCount.format(after.unsyncedBytes)) not yet synced"
        )
        return eviction
    }

    /// Evicts synced blobs, oldest first, until at least `bytes` are freed or none are left.
    ///
    /// Holds the intake lock exclusively: an intake of the same bytes cannot re-file a blob
    /// between the commit that marks it evicted and the unlink.
    @discardableResult
    public func evict(atLeast bytes: UInt64, reason: String) throws(StoreError) -> EvictionReport {
        let lock = try takeExclusiveIntakeLock(for: "eviction")
        defer { lock.unlock() }
        let chosen = try write("evicting synced blobs") { db -> [InstanceRecord] in
            var chosen: [InstanceRecord] = []
            var freed: UInt64 = 0
            let cursor = try InstanceRecord.fetchCursor(db, sql: Self.evictableSQL)
            while freed < bytes, var instance = try cursor.next() {
                instance.blobState = .evicted
                instance.evictedAt = Date()
                try instance.update(db)
                chosen.append(instance)
                freed += UInt64(instance.size)
            }
            if !chosen.isEmpty {
                var event = AuditEventRecord(
                    kind: "retention.evicted", severity: .info,
                    message: "evicted \(chosen.count) synced blob(s), \(ByteCount.format(freed)): \(reason)",
                    details: ["instances": String(chosen.count), "bytes": String(freed)]
                )
                try event.insert(db)
            }
            return chosen
        }
        CrashPoint.reached("after-eviction-commit")
        var shards = Set<String>()
        for instance in chosen {
            try? Posix.unlink(directory.absolute(instance.blobPath))
            shards.insert(String(instance.blobPath.prefix(9)))
        }
        for shard in shards { try? Posix.fsyncDirectory(directory.absolute(shard)) }
        let report = EvictionReport(evictedInstances: chosen.count, freedBytes: chosen.reduce(0) { $0 + UInt64($1.size) })
        if report.evictedInstances > 0 {
            logger.notice(
                "evicted synced blobs",
                metadata: ["instances": "\(report.evictedInstances)", "bytes": "\(report.freedBytes)", "reason": "\(reason)"]
            )
        }
        return report
    }

    /// Logs and audits a change of storage level once, not on every pass.
    func noteLevel(_ level: StorageLevel, detail: String) {
        let previous = storageLevel.withLock { current -> StorageLevel in
            let previous = current
            current = level
            return previous
        }
        guard previous != level else { return }
        switch level {
        case .normal:
            logger.notice("storage back above the soft limit", metadata: ["detail": "\(detail)"])
        case .soft:
            logger.warning("storage below the soft limit", metadata: ["detail": "\(detail)"])
        case .hard:
            logger.error("storage at the hard limit: new intake is refused", metadata: ["detail": "\(detail)"])
        }
        try? database.write { db in
            var event = AuditEventRecord(
                kind: "retention.level", severity: level == .normal ? .info : (level == .soft ? .warning : .error),
                message: "storage level \(previous.rawValue) -> \(level.rawValue): \(detail)",
                details: ["from": previous.rawValue, "to": level.rawValue]
            )
            try event.insert(db)
        }
    }
}

/// Thrown by admission when a refused intake turns out to be bytes the store already holds.
struct AlreadyStored: Error {
    let receipt: IntakeReceipt
}
