import Foundation
import GRDB
import POSIXSupport

/// An analysis taken up for running, with the instance and study it reads.
public struct ClaimedAnalysis: Sendable {
    public let analysis: AnalysisRecord
    public let instance: InstanceRecord
    public let study: StudyRecord
}

/// What running one analysis gave: a report (done or skipped by the quality check) to record.
public struct AnalysisOutcome: Sendable {
    public var status: AnalysisStatus
    public var modelID: String
    public var modelVersion: String
    public var flagged: Bool
    public var qualityVerdict: QualityOutcome
    /// The versioned JSON report.
    public var report: String
    public var overlayInstanceID: Int64?

    public init(
        status: AnalysisStatus, modelID: String, modelVersion: String, flagged: Bool, qualityVerdict: QualityOutcome,
        report: String, overlayInstanceID: Int64?
    ) {
        self.status = status
        self.modelID = modelID
        self.modelVersion = modelVersion
        self.flagged = flagged
        self.qualityVerdict = qualityVerdict
        self.report = report
        self.overlayInstanceID = overlayInstanceID
    }
}

extension StudyStore {
    /// Takes the oldest pending analysis of one of `tasks`, marks it running and counts the
    /// attempt in the same transaction, before anything reads the image: a run that kills the
    /// agent has been counted. An analysis whose image is no longer on disk (evicted or missing)
    /// fails at once with that reason. Start-up recovery puts analyses left running by a crash
    /// back to pending, or fails them for good once they used every attempt.
    public func claimNextAnalysis(tasks: [String]) throws(StoreError) -> ClaimedAnalysis? {
        try write("claiming an analysis") { db -> ClaimedAnalysis? in
            while var analysis = try AnalysisRecord
                .filter(AnalysisRecord.Columns.status == AnalysisStatus.pending && tasks.contains(AnalysisRecord.Columns.task))
                .order(AnalysisRecord.Columns.queuedAt, AnalysisRecord.Columns.id)
                .fetchOne(db) {
                let now = Date()
                guard let instance = try InstanceRecord.fetchOne(db, key: analysis.instanceID),
                      let study = try StudyRecord.fetchOne(db, key: instance.studyID) else {
                    analysis.status = .failed
                    analysis.error = "the instance row is gone"
                    analysis.finishedAt = now
                    try analysis.update(db)
                    continue
                }
                guard instance.blobState == .present else {
                    analysis.status = .failed
                    analysis.error = "the image is no longer on the box (\(instance.blobState.rawValue))"
                    analysis.finishedAt = now
                    try analysis.update(db)
                    continue
                }
                analysis.status = .running
                analysis.attempts += 1
                analysis.startedAt = now
                analysis.error = nil
                try analysis.update(db)
                return ClaimedAnalysis(analysis: analysis, instance: instance, study: study)
            }
            return nil
        }
    }

    /// Records a finished analysis in one transaction: the analysis row, its result, one
    /// outbox item per destination that takes results, and an audit event. A result already
    /// recorded for this analysis is returned as it is.
    @discardableResult
    public func completeAnalysis(id: Int64, outcome: AnalysisOutcome) throws(StoreError) -> ResultRecord {
        let destinations = configuration.destinations.filter { $0 == .platform }
        return try write("recording analysis \(id)") { db -> ResultRecord in
            if let existing = try ResultRecord.filter(ResultRecord.Columns.analysisID == id).fetchOne(db) {
                return existing
            }
            guard var analysis = try AnalysisRecord.fetchOne(db, key: id),
                  let instance = try InstanceRecord.fetchOne(db, key: analysis.instanceID),
                  let study = try StudyRecord.fetchOne(db, key: instance.studyID) else {
                throw StoreError(.database, "analysis \(id) or its instance is gone")
            }
            let now = Date()
            analysis.status = outcome.status
            analysis.modelID = outcome.modelID
            analysis.modelVersion = outcome.modelVersion
            analysis.finishedAt = now
            analysis.error = nil
            try analysis.update(db)
            let hash = SHA256Hex.string(of: Array(outcome.report.utf8))
            var result = ResultRecord(
                id: nil, analysisID: id, instanceID: instance.id!, flagged: outcome.flagged,
                qualityVerdict: outcome.qualityVerdict.rawValue, report: outcome.report, resultHash: hash, createdAt: now,
                overlayInstanceID: outcome.overlayInstanceID
            )
            try result.insert(db)
            let key = OutboxItemRecord.resultKey(studyInstanceUID: study.studyInstanceUID, modelVersion: "\(outcome.modelID)@\(outcome.modelVersion)", resultHash: hash)
            for destination in destinations {
                // A retake advice reaches the platform first: it is about a patient still in the room.
                var item = OutboxItemRecord(
                    id: nil, destination: destination, kind: .result, idempotencyKey: key,
                    priority: outcome.qualityVerdict == .retake || outcome.flagged ? .alert : .result,
                    instanceID: instance.id, resultID: result.id, payloadBytes: Int64(outcome.report.utf8.count),
                    state: .queued, attempts: 0, nextAttemptAt: now, lastError: nil, rejectedReason: nil,
                    createdAt: now, sentAt: nil
                )
                try item.insert(db, onConflict: .ignore)
            }
            var event = AuditEventRecord(
                kind: "analysis.\(outcome.status.rawValue)", severity: outcome.flagged || outcome.qualityVerdict == .retake ? .warning : .info,
                instanceID: instance.id,
                message: "\(analysis.task) by \(outcome.modelID) \(outcome.modelVersion) on \(instance.sopInstanceUID): "
                    + (outcome.flagged ? "flagged for review" : "nothing flagged") + ", quality \(outcome.qualityVerdict.rawValue)",
                details: ["analysisID": String(id), "resultHash": hash]
            )
            try event.insert(db)
            return result
        }
    }

    /// Records a failed run. `retryable` failures go back to pending until the attempt limit;
    /// the others (an image that cannot be decoded) fail for good at once.
    public func failAnalysis(id: Int64, reason: String, retryable: Bool) throws(StoreError) {
        try write("recording a failed analysis \(id)") { db in
            guard var analysis = try AnalysisRecord.fetchOne(db, key: id) else { return }
            let final = !retryable || analysis.attempts >= configuration.analysisAttemptLimit
            analysis.status = final ? .failed : .pending
            analysis.error = reason
            analysis.finishedAt = final ? Date() : nil
            try analysis.update(db)
            var event = AuditEventRecord(
                kind: final ? "analysis.failed" : "analysis.retry", severity: final ? .error : .warning,
                instanceID: analysis.instanceID,
                message: "\(analysis.task) on instance \(analysis.instanceID) failed (attempt \(analysis.attempts)): \(reason)",
                details: ["analysisID": String(id)]
            )
            try event.insert(db)
        }
    }

    /// Queues `task` for the images taken in at or after `since` that do not have it yet (not
    /// the objects analyses write): how a task whose package became active later reaches the
    /// images arriving after it, while older images are left alone. Only instances after
    /// `afterInstanceID` are looked at, so a caller that keeps the returned last id looks at
    /// each new image once. Returns how many were queued and the last instance id seen.
    public func queueAnalyses(task: String, receivedSince since: Date, afterInstanceID: Int64) throws(StoreError) -> (queued: Int, lastInstanceID: Int64) {
        try write("queueing \(task) for new images") { db -> (queued: Int, lastInstanceID: Int64) in
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM instance WHERE id > ?", arguments: [afterInstanceID]) ?? afterInstanceID
            guard last > afterInstanceID else { return (0, afterInstanceID) }
            try db.execute(sql: """
                INSERT INTO analysis (instanceID, task, status, attempts, queuedAt)
                SELECT i.id, ?, ?, 0, ? FROM instance i
                WHERE i.id > ? AND i.id <= ? AND i.receivedAt >= ? AND i.source != ?
                  AND NOT EXISTS (SELECT 1 FROM analysis a WHERE a.instanceID = i.id AND a.task = ?)
                ORDER BY i.id
                """, arguments: [task, AnalysisStatus.pending, Date(), afterInstanceID, last, since, IntakeSource.analysis, task])
            return (db.changesCount, last)
        }
    }

    /// Analyses per status (of the given tasks, or all), for the status output and the queue.
    public func analysisCounts(tasks: [String]? = nil) throws(StoreError) -> [AnalysisStatus: Int] {
        try read("counting analyses") { db in
            var counts: [AnalysisStatus: Int] = [:]
            var request = AnalysisRecord.select(AnalysisRecord.Columns.status, count(AnalysisRecord.Columns.id).forKey("n"))
                .group(AnalysisRecord.Columns.status)
            if let tasks { request = request.filter(tasks.contains(AnalysisRecord.Columns.task)) }
            let rows = try Row.fetchAll(db, request)
            for row in rows {
                if let status = AnalysisStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    /// Pending analyses per task: what each model still has to read (the status output).
    public func pendingAnalysesByTask() throws(StoreError) -> [String: Int] {
        try read("counting pending analyses") { db in try Self.pendingAnalysesByTask(db) }
    }

    static func pendingAnalysesByTask(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT task, COUNT(*) AS n FROM analysis WHERE status = ? GROUP BY task", arguments: [AnalysisStatus.pending]) {
            counts[row["task"]] = row["n"]
        }
        return counts
    }

    /// The results recorded for an instance, newest first.
    public func results(forInstance instanceID: Int64) throws(StoreError) -> [ResultRecord] {
        try read("reading results") { db in
            try ResultRecord.filter(ResultRecord.Columns.instanceID == instanceID)
                .order(ResultRecord.Columns.id.desc).fetchAll(db)
        }
    }
}

extension StudyStore {
    /// Analyses that failed for good and nobody dismissed yet, newest first: what the panel and
    /// `fluorobox status` show a technician.
    public func failedAnalyses(limit: Int = 50) throws(StoreError) -> [FailedAnalysis] {
        try read("listing failed analyses") { db in try Self.failedAnalyses(db, limit: limit) }
    }

    static func failedAnalyses(_ db: Database, limit: Int) throws -> [FailedAnalysis] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.id, a.task, a.attempts, a.error, a.finishedAt, i.sopInstanceUID, s.studyInstanceUID
            FROM analysis a JOIN instance i ON i.id = a.instanceID JOIN study s ON s.id = i.studyID
            WHERE a.status = 'failed' AND a.dismissedAt IS NULL
            ORDER BY a.finishedAt DESC, a.id DESC LIMIT ?
            """, arguments: [limit])
        return rows.map { row in
            FailedAnalysis(
                id: row["id"], task: row["task"], attempts: row["attempts"], reason: row["error"] ?? "no reason recorded",
                failedAt: row["finishedAt"], sopInstanceUID: row["sopInstanceUID"], studyInstanceUID: row["studyInstanceUID"]
            )
        }
    }

    /// The analysis a technician acts on, which must exist and have failed.
    private static func failedAnalysis(_ db: Database, id: Int64, for action: String) throws -> AnalysisRecord {
        guard let analysis = try AnalysisRecord.fetchOne(db, key: id) else {
            throw StoreError(.notFound, "analysis \(id) does not exist")
        }
        guard analysis.status == .failed else {
            throw StoreError(.wrongState, "analysis \(id) is \(analysis.status.rawValue), not failed; only a failed analysis can be \(action)")
        }
        return analysis
    }

    /// A technician's retry of a failed analysis: back to pending with a fresh count of
    /// attempts, audited with who asked.
    public func retryAnalysis(id: Int64, by actor: String) throws(StoreError) {
        try write("retrying analysis \(id)") { db in
            var analysis = try Self.failedAnalysis(db, id: id, for: "retried")
            let previous = analysis.error ?? ""
            analysis.status = .pending
            analysis.attempts = 0
            analysis.error = nil
            analysis.startedAt = nil
            analysis.finishedAt = nil
            analysis.dismissedAt = nil
            analysis.dismissedBy = nil
            analysis.queuedAt = Date()
            try analysis.update(db)
            var event = AuditEventRecord(
                kind: "analysis.retried", severity: .warning, instanceID: analysis.instanceID,
                message: "\(actor) asked to run analysis \(id) (\(analysis.task)) again; it had failed: \(previous)",
                details: ["analysisID": String(id), "by": actor]
            )
            try event.insert(db)
        }
    }

    /// A technician's dismissal of a failed analysis: it stays failed with its reason, and is
    /// no longer listed as needing attention. Audited with who dismissed it. A second dismissal
    /// is refused (``StoreError/Code/wrongState``), naming who dismissed it first, so a
    /// technician acting on a stale list learns that someone already did.
    public func dismissAnalysis(id: Int64, by actor: String) throws(StoreError) {
        try write("dismissing analysis \(id)") { db in
            var analysis = try Self.failedAnalysis(db, id: id, for: "dismissed")
            if analysis.dismissedAt != nil {
                throw StoreError(.wrongState, "analysis \(id) was already dismissed by \(analysis.dismissedBy ?? "someone")")
            }
            analysis.dismissedAt = Date()
            analysis.dismissedBy = actor
            try analysis.update(db)
            var event = AuditEventRecord(
                kind: "analysis.dismissed", severity: .info, instanceID: analysis.instanceID,
                message: "\(actor) dismissed failed analysis \(id) (\(analysis.task)): \(analysis.error ?? "")",
                details: ["analysisID": String(id), "by": actor]
            )
            try event.insert(db)
        }
    }
}
