import Foundation
import GRDB

extension StudyStore {
    /// Studies for the panel: flagged and retake-advised first, then newest first. Five
    /// grouped queries whatever the number of studies.
    public func worklist(limit: Int = 200) throws(StoreError) -> [WorklistEntry] {
        try read("reading the worklist") { db in
            let studies = try StudyRecord.order(StudyRecord.Columns.createdAt.desc, StudyRecord.Columns.id.desc).limit(limit).fetchAll(db)
            // The grouped queries cover the listed studies' id range; rows of others are unused.
            guard let floor = studies.compactMap(\.id).min() else { return [] }
            var instances: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT studyID, COUNT(*) AS n FROM instance WHERE studyID >= ? AND source != ? GROUP BY studyID", arguments: [floor, IntakeSource.analysis]) {
                instances[row["studyID"]] = row["n"]
            }
            var flagged: Set<Int64> = [], retake: Set<Int64> = [], demonstration: Set<Int64> = []
            for row in try Row.fetchAll(db, sql: """
                SELECT instance.studyID AS studyID, MAX(result.flagged) AS flagged,
                       MAX(CASE WHEN result.qualityVerdict IS NOT NULL AND result.qualityVerdict NOT IN \(QualityOutcome.acceptableSQL) THEN 1 ELSE 0 END) AS retake,
                       MAX(\(Self.demonstrationResultSQL)) AS demonstration
                FROM result JOIN instance ON instance.id = result.instanceID
                WHERE instance.studyID >= ? GROUP BY instance.studyID
                """, arguments: [floor]) {
                let id: Int64 = row["studyID"]
                if (row["flagged"] as Int?) == 1 { flagged.insert(id) }
                if (row["retake"] as Int?) == 1 { retake.insert(id) }
                if (row["demonstration"] as Int?) == 1 { demonstration.insert(id) }
            }
            var analyses: [Int64: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT instance.studyID AS studyID, analysis.status AS status, COUNT(*) AS n FROM analysis
                JOIN instance ON instance.id = analysis.instanceID WHERE instance.studyID >= ? GROUP BY instance.studyID, analysis.status
                """, arguments: [floor]) {
                analyses[row["studyID"], default: [:]][row["status"]] = row["n"]
            }
            var feedback: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT studyID, COUNT(*) AS n FROM feedback WHERE studyID >= ? GROUP BY studyID", arguments: [floor]) {
                feedback[row["studyID"]] = row["n"]
            }
            var conflicts: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT DISTINCT studyID, conflictingPatientID FROM instance
                WHERE studyID >= ? AND conflictingPatientID IS NOT NULL ORDER BY studyID, conflictingPatientID
                """, arguments: [floor]) {
                conflicts[row["studyID"], default: []].append(row["conflictingPatientID"])
            }
            let entries = studies.map { study in
                let id = study.id!
                return WorklistEntry(
                    studyInstanceUID: study.studyInstanceUID, patientID: study.patientID, patientName: study.patientName,
                    studyDate: study.studyDate, modality: study.modality, createdAt: study.createdAt, instances: instances[id] ?? 0,
                    flagged: flagged.contains(id), retakeAdvised: retake.contains(id),
                    analyses: analyses[id] ?? [:], feedbackCount: feedback[id] ?? 0,
                    conflictingPatientIDs: conflicts[id] ?? [], demonstrationResults: demonstration.contains(id)
                )
            }
            // Stable: newest first within each group.
            return entries.filter(\.needsAttention) + entries.filter { !$0.needsAttention }
        }
    }

    /// Whole-store figures of the worklist, counted in SQL (no per-study work).
    public func worklistCounters(now: Date = Date()) throws(StoreError) -> WorklistCounters {
        try read("counting the worklist") { db in
            let flagged = try Int.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT instance.studyID) FROM result JOIN instance ON instance.id = result.instanceID WHERE result.flagged
                """) ?? 0
            let retake = try Int.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT instance.studyID) FROM result JOIN instance ON instance.id = result.instanceID
                WHERE result.qualityVerdict IS NOT NULL AND result.qualityVerdict NOT IN \(QualityOutcome.acceptableSQL)
                """) ?? 0
            let captures = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instance WHERE receivedAt >= ? AND source != ?", arguments: [Calendar.current.startOfDay(for: now), IntakeSource.analysis]) ?? 0
            let failed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM analysis WHERE status = 'failed' AND dismissedAt IS NULL") ?? 0
            // Changes whenever a study, an analysis state, a result or a verdict is added.
            let version = try Row.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM study), (SELECT COALESCE(MAX(id), 0) FROM instance), (SELECT COUNT(*) FROM analysis WHERE status IN ('done', 'failed', 'skipped')),
                       (SELECT COALESCE(MAX(id), 0) FROM result), (SELECT COALESCE(MAX(id), 0) FROM feedback)
                """).map { row in (0..<5).map { String(row[$0] as Int64? ?? 0) }.joined(separator: "-") } ?? ""
            return WorklistCounters(flaggedStudies: flagged, retakeStudies: retake, capturesToday: captures, failedAnalyses: failed, version: version)
        }
    }

    /// The study view's data, or nil when there is no such study.
    public func studyDetail(studyInstanceUID: String) throws(StoreError) -> StudyDetail? {
        try read("reading a study") { db in
            guard let study = try StudyRecord.filter(Column("studyInstanceUID") == studyInstanceUID).fetchOne(db) else { return nil }
            let hasOverlayColumn = try db.columns(in: "result").contains { $0.name == "overlayInstanceID" }
            // Overlays the box made itself are shown with the image they belong to.
            let instances = try InstanceRecord.filter(InstanceRecord.Columns.studyID == study.id!)
                .filter(Column("source") != IntakeSource.analysis.rawValue)
                .order(InstanceRecord.Columns.receivedAt, InstanceRecord.Columns.id).fetchAll(db)
            var details: [StudyDetail.Instance] = []
            for instance in instances {
                let analyses = try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == instance.id!)
                    .order(AnalysisRecord.Columns.id).fetchAll(db)
                let results = try Row.fetchAll(db, sql: "SELECT * FROM result WHERE instanceID = ? ORDER BY id", arguments: [instance.id!]).map { row in
                    StudyDetail.Result(
                        id: row["id"], analysisID: row["analysisID"], flagged: row["flagged"], qualityVerdict: row["qualityVerdict"],
                        report: row["report"], createdAt: row["createdAt"],
                        overlayInstanceID: hasOverlayColumn ? row["overlayInstanceID"] : nil
                    )
                }
                details.append(StudyDetail.Instance(
                    id: instance.id!, sopInstanceUID: instance.sopInstanceUID, format: instance.format, blobState: instance.blobState,
                    path: directory.absolute(instance.blobPath), source: instance.source, receivedAt: instance.receivedAt,
                    conflictingPatientID: instance.conflictingPatientID, analyses: analyses, results: results
                ))
            }
            let feedback = try FeedbackRecord.filter(FeedbackRecord.Columns.studyID == study.id!).order(FeedbackRecord.Columns.id).fetchAll(db)
            return StudyDetail(study: study, instances: details, feedback: feedback)
        }
    }

    /// Where an instance's bytes are, with their format, if the blob is still present.
    public func instanceBlob(id: Int64) throws(StoreError) -> (path: String, format: BlobFormat)? {
        try read("finding an instance") { db in
            guard let instance = try InstanceRecord.fetchOne(db, key: id), instance.blobState == .present else { return nil }
            return (directory.absolute(instance.blobPath), instance.format)
        }
    }

    /// Bytes received per day over the last `days` days, for a capacity estimate.
    public func averageDailyIntakeBytes(days: Int = 7, now: Date = Date()) throws(StoreError) -> Double {
        try read("measuring intake") { db in
            let since = now.addingTimeInterval(-Double(days) * 86_400)
            let total = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM instance WHERE receivedAt >= ?", arguments: [since]) ?? 0
            return Double(total) / Double(days)
        }
    }

    /// Patient names and IDs the store holds, so exports can redact them.
    public func patientIdentifiers() throws(StoreError) -> Set<String> {
        try read("collecting identifiers") { db in
            var values: Set<String> = []
            for sql in [
                "SELECT patientName FROM study", "SELECT patientID FROM study",
                "SELECT patientName FROM registration", "SELECT patientID FROM registration",
            ] {
                for value in try String?.fetchAll(db, sql: sql) {
                    guard let value, value.count >= 2 else { continue }
                    values.insert(value)
                    // Person names are stored as FAMILY^GIVEN; they also appear with spaces.
                    for part in value.split(whereSeparator: { $0 == "^" || $0 == " " }) where part.count >= 3 {
                        values.insert(String(part))
                    }
                }
            }
            return values
        }
    }

    /// `PRAGMA quick_check`: "ok" when the database is sound.
    public func quickCheck() throws(StoreError) -> [String] {
        try read("checking the database") { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
    }
}
