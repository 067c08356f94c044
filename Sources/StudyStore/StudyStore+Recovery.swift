import Foundation
import GRDB
import POSIXSupport

extension StudyStore {
    /// Start-up recovery, run by the agent before it accepts anything.
    ///
    /// Holds the intake lock exclusively, so a concurrent `fluorobox import` waits rather than
    /// having its temp file taken for an orphan. Nothing is silently deleted: temp files were
    /// never acknowledged, evicted blobs were synced, and everything else is quarantined or marked.
    public func recover() throws(StoreError) -> RecoveryReport {
        let lock = try takeExclusiveIntakeLock(for: "recovery")
        defer { lock.unlock() }
        var report = RecoveryReport()

        report.quickCheck = try runQuickCheck()
        if !report.quickCheckPassed {
            logger.error("quick_check failed; rebuilding indexes", metadata: ["quick_check": "\(report.quickCheck.prefix(5))"])
            _ = try? database.writeWithoutTransaction { db in try db.execute(sql: "REINDEX") }
            report.quickCheck = try runQuickCheck()
            report.storeDamaged = !report.quickCheckPassed
        }

        do {
            for name in try Posix.directoryEntries(directory.temporaryPath) {
                let path = directory.temporaryPath + "/" + name
                // A temp file another live process is still writing is locked by its writer
                // (BlobWriter); one whose writer died is not.
                let writerGone = try FileLock(path: path).tryLock(.exclusive)
                guard writerGone else {
                    report.temporaryFilesInUse += 1
                    continue
                }
                try Posix.unlink(path)
                report.removedTemporaryFiles += 1
            }
            if report.removedTemporaryFiles > 0 { try Posix.fsyncDirectory(directory.temporaryPath) }
        } catch {
            throw StoreError.fileSystem(error, while: "clearing \(directory.temporaryPath)")
        }

        try reconcileBlobs(&report)

        let limit = configuration.analysisAttemptLimit
        let (failed, analyses, outbox) = try write("re-queueing interrupted work") { db -> (Int, Int, Int) in
            // An analysis the agent died in has had its attempt counted when it was claimed. One
            // that used every attempt is what kills the agent (a hostile image): it fails for good
            // rather than being handed to the next start, which would die the same way.
            let exhausted = try AnalysisRecord
                .filter(AnalysisRecord.Columns.status == AnalysisStatus.running && AnalysisRecord.Columns.attempts >= limit)
                .fetchAll(db)
            let now = Date()
            for var analysis in exhausted {
                analysis.status = .failed
                analysis.finishedAt = now
                analysis.error = "the agent stopped during this analysis \(analysis.attempts) time(s) (a crash, a kill or a power cut "
                    + "while the image was being read); it is not tried again unless a technician retries it"
                try analysis.update(db)
                var event = AuditEventRecord(
                    kind: "analysis.failed", severity: .error, instanceID: analysis.instanceID,
                    message: "\(analysis.task) on instance \(analysis.instanceID) failed for good: \(analysis.error!)",
                    details: ["analysisID": String(analysis.id!), "attempts": String(analysis.attempts)]
                )
                try event.insert(db)
            }
            try db.execute(sql: "UPDATE analysis SET status = 'pending', startedAt = NULL WHERE status = 'running'")
            let analyses = db.changesCount
            try db.execute(
                sql: "UPDATE outboxItem SET state = 'queued', nextAttemptAt = ? WHERE state = 'sending'",
                arguments: [Date()]
            )
            return (exhausted.count, analyses, db.changesCount)
        }
        report.failedAnalyses = failed
        _ = try? enforceQuarantineBounds()
        report.requeuedAnalyses = analyses
        report.requeuedOutboxItems = outbox

        let severity: AuditSeverity = report.storeDamaged || !report.missingBlobs.isEmpty
            ? .error : (report.isClean ? .info : .warning)
        try write("recording recovery") { db in
            var event = AuditEventRecord(
                kind: "recovery.completed", severity: severity, message: "start-up recovery: \(report.summary)",
                details: [
                    "removedTemporaryFiles": String(report.removedTemporaryFiles),
                    "temporaryFilesInUse": String(report.temporaryFilesInUse),
                    "quarantinedOrphanBlobs": report.quarantinedOrphanBlobs.joined(separator: ","),
                    "missingBlobs": report.missingBlobs.joined(separator: ","),
                    "finishedEvictions": String(report.finishedEvictions),
                    "requeuedAnalyses": String(report.requeuedAnalyses),
                    "failedAnalyses": String(report.failedAnalyses),
                    "requeuedOutboxItems": String(report.requeuedOutboxItems),
                    "quickCheck": report.quickCheck.joined(separator: "; "),
                ]
            )
            try event.insert(db)
        }
        switch severity {
        case .info: logger.info("start-up recovery", metadata: ["summary": "\(report.summary)"])
        case .warning: logger.warning("start-up recovery", metadata: ["summary": "\(report.summary)"])
        case .error: logger.error("start-up recovery", metadata: ["summary": "\(report.summary)"])
        }
        return report
    }

    /// Lines of `PRAGMA quick_check`; ["ok"] when the database is sound.
    public func runQuickCheck() throws(StoreError) -> [String] {
        try read("running quick_check") { db in
            try String.fetchAll(db, sql: "PRAGMA quick_check")
        }
    }

    /// Matches files under blobs/ against instance rows.
    private func reconcileBlobs(_ report: inout RecoveryReport) throws(StoreError) {
        struct Known {
            let state: BlobState
            let size: Int64
        }
        let known = try read("listing blobs") { db -> [String: Known] in
            var known: [String: Known] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT sha256, blobState, size FROM instance")
            while let row = try rows.next() {
                let state = BlobState(rawValue: row["blobState"]) ?? .missing
                known[row["sha256"]] = Known(state: state, size: row["size"])
            }
            return known
        }
        var seen = Set<String>()
        var evictedLeftovers: [String] = []
        var restored: [String] = []
        do {
            for shard in try Posix.directoryEntries(directory.blobsPath).sorted() {
                let shardPath = directory.blobsPath + "/" + shard
                guard (try? Posix.fileStatus(shardPath, followLinks: false))?.isDirectory == true,
                      DataDirectory.shardNames.contains(shard) else {
                    try moveToQuarantine(relative: "blobs/" + shard, report: &report)
                    continue
                }
                for name in try Posix.directoryEntries(shardPath) {
                    let relative = "blobs/\(shard)/\(name)"
                    guard SHA256Hex.isValid(name), name.hasPrefix(shard), let row = known[name] else {
                        try moveToQuarantine(relative: relative, report: &report)
                        continue
                    }
                    switch row.state {
                    case .present:
                        seen.insert(name)
                    case .evicted:
                        evictedLeftovers.append(relative)
                    case .missing:
                        // The file is back (a disk remounted late, say): if it is whole, use it again.
                        if (try? Posix.fileStatus(directory.absolute(relative)))?.size == row.size {
                            restored.append(name)
                            seen.insert(name)
                        }
                    }
                }
            }
            for relative in evictedLeftovers {
                try Posix.unlink(directory.absolute(relative))
                report.finishedEvictions += 1
            }
        } catch {
            throw StoreError.fileSystem(error, while: "scanning \(directory.blobsPath)")
        }

        var damaged: [String] = []
        for (sha, row) in known where row.state == .present {
            let path = directory.absolute(DataDirectory.relativeBlobPath(sha256: sha))
            if !seen.contains(sha) {
                report.missingBlobs.append(sha)
            } else if (try? Posix.fileStatus(path))?.size != row.size {
                damaged.append(sha)
                report.missingBlobs.append(sha)
            }
        }
        for sha in damaged {
            try? moveToQuarantine(relative: DataDirectory.relativeBlobPath(sha256: sha), report: &report, countAsOrphan: false)
        }
        report.missingBlobs.sort()
        let missing = report.missingBlobs
        guard !missing.isEmpty || !restored.isEmpty else { return }
        try write("marking missing blobs") { db in
            for sha in missing {
                try db.execute(sql: "UPDATE instance SET blobState = 'missing' WHERE sha256 = ?", arguments: [sha])
                let instanceID = try Int64.fetchOne(db, sql: "SELECT id FROM instance WHERE sha256 = ?", arguments: [sha])
                var event = AuditEventRecord(
                    kind: "recovery.blob-missing", severity: .error, instanceID: instanceID,
                    message: "blob \(sha) is missing or damaged on disk; the instance is marked missing",
                    details: ["sha256": sha]
                )
                try event.insert(db)
            }
            for sha in restored {
                try db.execute(sql: "UPDATE instance SET blobState = 'present' WHERE sha256 = ?", arguments: [sha])
            }
        }
    }

    private func moveToQuarantine(relative: String, report: inout RecoveryReport, countAsOrphan: Bool = true) throws(SystemCallError) {
        let name = relative.split(separator: "/").last.map(String.init) ?? "blob"
        let target = "quarantine/" + Self.quarantineName(sha256: name)
        try Posix.rename(directory.absolute(relative), directory.absolute(target))
        try Posix.fsyncDirectory(directory.quarantinePath)
        CrashPoint.reached("after-quarantine-move")
        if countAsOrphan { report.quarantinedOrphanBlobs.append(target) }
        logger.warning("moved a blob no row names to quarantine", metadata: ["from": "\(relative)", "to": "\(target)"])
    }
}
