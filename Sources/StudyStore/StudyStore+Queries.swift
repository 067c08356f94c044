import Foundation
import GRDB

extension StudyStore {
    /// The newest analysis per instance and task, oldest first, with its result's flag, verdict and summary.
    static func newestAnalyses(_ db: Database) throws -> [Int64: [AnalysisListing]] {
        var listings: [Int64: [AnalysisListing]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT a.instanceID, a.task, a.status, a.modelID, a.modelVersion, a.error, a.attempts, a.dismissedAt, r.flagged, r.qualityVerdict, r.report
            FROM analysis a LEFT JOIN result r ON r.analysisID = a.id
            WHERE a.id = (SELECT MAX(b.id) FROM analysis b WHERE b.instanceID = a.instanceID AND b.task = a.task)
            ORDER BY a.id
            """)
        while let row = try rows.next() {
            let report: String? = row["report"]
            let object = report.flatMap { text in try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] }
            let summary = object?["summary"] as? String
            let modelID: String? = row["modelID"], modelVersion: String? = row["modelVersion"]
            listings[row["instanceID"], default: []].append(AnalysisListing(
                task: row["task"], status: AnalysisStatus(rawValue: row["status"]) ?? .pending,
                model: modelID.map { "\($0)@\(modelVersion ?? "?")" }, flagged: row["flagged"],
                qualityVerdict: row["qualityVerdict"], summary: summary, error: row["error"],
                attempts: row["attempts"], dismissedAt: row["dismissedAt"],
                demonstrationModel: report.map { _ in Self.isDemonstrationReport(object) }
            ))
        }
        return listings
    }

    /// Every study with its instances, newest study first.
    public func listStudies() throws(StoreError) -> [StudyListing] {
        try read("listing studies") { db in
            let studies = try StudyRecord.order(StudyRecord.Columns.createdAt.desc, StudyRecord.Columns.id.desc).fetchAll(db)
            let instances = try InstanceRecord.order(InstanceRecord.Columns.receivedAt, InstanceRecord.Columns.id).fetchAll(db)
            var states: [Int64: [String: OutboxState]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT instanceID, destination, state FROM outboxItem WHERE instanceID IS NOT NULL AND kind = 'instance'")
            while let row = try rows.next() {
                let state = OutboxState(rawValue: row["state"]) ?? .queued
                states[row["instanceID"], default: [:]][row["destination"]] = state
            }
            let analyses = try Self.newestAnalyses(db)
            let byStudy = Dictionary(grouping: instances, by: \.studyID)
            return studies.map { study in
                StudyListing(
                    studyInstanceUID: study.studyInstanceUID, uidGenerated: study.uidGenerated,
                    patientID: study.patientID, patientName: study.patientName, studyDate: study.studyDate,
                    modality: study.modality, studyDescription: study.studyDescription, createdAt: study.createdAt,
                    instances: (byStudy[study.id!] ?? []).map { instance in
                        let perDestination = states[instance.id!] ?? [:]
                        return InstanceListing(
                            sopInstanceUID: instance.sopInstanceUID, uidGenerated: instance.uidGenerated,
                            sha256: instance.sha256, size: instance.size, format: instance.format,
                            source: instance.source, sourceDetail: instance.sourceDetail,
                            blobState: instance.blobState, uidConflict: instance.uidConflict,
                            conflictingPatientID: instance.conflictingPatientID,
                            receivedAt: instance.receivedAt,
                            syncState: InstanceListing.summarise(Array(perDestination.values)),
                            destinations: perDestination.mapValues(\.rawValue),
                            analysis: analyses[instance.id!]?.last,
                            analyses: (analyses[instance.id!] ?? []).sorted { $0.task < $1.task }
                        )
                    }
                )
            }
        }
    }

    /// Counts, backlog per destination, storage and the latest recovery, for status views.
    public func status(now: Date = Date()) throws(StoreError) -> StoreStatus {
        let quarantine = try? quarantineSummary()
        let storage = try storageReport()
        return try read("reading status") { db in
            let startOfDay = Calendar.current.startOfDay(for: now)
            var byBlobState: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT blobState, COUNT(*) AS n FROM instance GROUP BY blobState") {
                byBlobState[row["blobState"]] = row["n"]
            }
            var byAnalysis: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM analysis GROUP BY status") {
                byAnalysis[row["status"]] = row["n"]
            }
            var backlogs: [String: DestinationBacklog] = [:]
            for destination in configuration.destinations {
                backlogs[destination.rawValue] = DestinationBacklog(destination: destination.rawValue)
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT destination, state, COUNT(*) AS n, COALESCE(SUM(payloadBytes), 0) AS bytes,
                       MIN(createdAt) AS oldest, MAX(sentAt) AS lastSent
                FROM outboxItem GROUP BY destination, state
                """)
            for row in rows {
                let name: String = row["destination"]
                var backlog = backlogs[name] ?? DestinationBacklog(destination: name)
                let count: Int = row["n"]
                let state = OutboxState(rawValue: row["state"])
                switch state {
                case .queued: backlog.queued = count
                case .sending: backlog.sending = count
                case .sent:
                    backlog.sent = count
                    backlog.lastSentAt = row["lastSent"]
                case .rejected: backlog.rejected = count
                case nil: break
                }
                if state == .queued || state == .sending {
                    backlog.backlogBytes += row["bytes"]
                    let oldest: Date? = row["oldest"]
                    if let oldest, backlog.oldestUnsentAt.map({ oldest < $0 }) ?? true { backlog.oldestUnsentAt = oldest }
                }
                backlogs[name] = backlog
            }
            for row in try Row.fetchAll(db, sql: "SELECT destination, kind, COUNT(*) AS n FROM outboxItem WHERE state IN ('queued', 'sending') GROUP BY destination, kind") {
                let name: String = row["destination"]
                backlogs[name, default: DestinationBacklog(destination: name)].unsentByKind[row["kind"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT destination, COUNT(*) AS n FROM outboxItem
                WHERE state = 'queued' AND commitmentTransactionUID IS NOT NULL GROUP BY destination
                """) {
                let name: String = row["destination"]
                backlogs[name, default: DestinationBacklog(destination: name)].awaitingCommitment = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT destination, confirmation, COUNT(*) AS n FROM outboxItem WHERE state = 'sent' AND confirmation IS NOT NULL GROUP BY destination, confirmation") {
                let name: String = row["destination"]
                backlogs[name, default: DestinationBacklog(destination: name)].sentByConfirmation[row["confirmation"]] = row["n"]
            }
            for name in backlogs.keys {
                backlogs[name]!.lastError = try String.fetchOne(
                    db,
                    sql: "SELECT lastError FROM outboxItem WHERE destination = ? AND state IN ('queued', 'sending') AND lastError IS NOT NULL ORDER BY nextAttemptAt DESC LIMIT 1",
                    arguments: [name]
                )
            }
            let entry = { (record: AuditEventRecord) in
                AuditEntry(at: record.at, kind: record.kind, severity: record.severity, message: record.message)
            }
            let lastRecovery = try AuditEventRecord
                .filter(AuditEventRecord.Columns.kind == "recovery.completed")
                .order(AuditEventRecord.Columns.id.desc).fetchOne(db).map(entry)
            let problems = try AuditEventRecord
                .filter([AuditSeverity.warning, .error].contains(AuditEventRecord.Columns.severity))
                .filter(AuditEventRecord.Columns.at >= now.addingTimeInterval(-86_400))
                .order(AuditEventRecord.Columns.id.desc).limit(20).fetchAll(db).map(entry)
            let migrations = try StoreMigrations.migrator.appliedMigrations(db)
            var status = StoreStatus(
                studies: try StudyRecord.fetchCount(db),
                instances: try InstanceRecord.fetchCount(db),
                instancesByBlobState: byBlobState,
                instancesReceivedToday: try InstanceRecord.filter(InstanceRecord.Columns.receivedAt >= startOfDay).fetchCount(db),
                analysesByStatus: byAnalysis,
                destinations: backlogs.values.sorted { $0.destination < $1.destination },
                storage: storage,
                lastRecovery: lastRecovery,
                recentProblems: problems,
                schemaVersion: migrations.last ?? "none",
                sqliteVersion: try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "unknown"
            )
            status.failedAnalyses = try Self.failedAnalyses(db, limit: 20)
            status.pendingAnalysesByTask = try Self.pendingAnalysesByTask(db)
            status.quarantine = quarantine
            return status
        }
    }

    /// The audit log, newest first.
    /// When the newest instance arrived (any intake path); nil for an empty store.
    public func lastInstanceReceivedAt() throws(StoreError) -> Date? {
        try read("reading the last intake") { db in try Date.fetchOne(db, sql: "SELECT MAX(receivedAt) FROM instance") }
    }

    public func auditEvents(limit: Int = 100) throws(StoreError) -> [AuditEventRecord] {
        try read("reading the audit log") { db in
            try AuditEventRecord.order(AuditEventRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }
}

extension StudyStore {
    /// True when the database answers a trivial query: the watchdog's health check.
    public func isResponsive() -> Bool {
        (try? database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}
