import Foundation
import GRDB

extension StudyStore {
    /// Records a shadow package's run on an analysed image in its own table: no result row, no
    /// overlay, no outbox item, so nothing of it reaches the panel, the worklist or a
    /// destination. The same run again (a retry after a crash) is recorded once.
    @discardableResult
    public func recordShadowRun(_ run: ShadowRunRecord) throws(StoreError) -> Bool {
        try write("recording the shadow run of analysis \(run.analysisID)") { db in
            var row = run
            try row.insert(db, onConflict: .ignore)
            return db.changesCount > 0
        }
    }

    /// The shadow runs of an instance, oldest first.
    public func shadowRuns(forInstance instanceID: Int64) throws(StoreError) -> [ShadowRunRecord] {
        try read("reading shadow runs") { db in
            try ShadowRunRecord.filter(ShadowRunRecord.Columns.instanceID == instanceID).order(Column("id")).fetchAll(db)
        }
    }

    /// The agreement of every pair of packages (shadow and active) with shadow runs on `day`
    /// (UTC, YYYY-MM-DD): the day's `shadow-agreement` documents.
    public func shadowAgreements(day: String, device: String) throws(StoreError) -> [ShadowAgreement] {
        guard let start = Self.startOfDay(day) else {
            throw StoreError(.notFound, "\(day) is not a day (YYYY-MM-DD)")
        }
        return try read("counting the shadow agreement of \(day)") { db in
            try Self.shadowAgreements(db, from: start, to: start.addingTimeInterval(86_400), device: device)
        }
    }

    /// The agreement of a shadow package with each active package so far (every day it ran),
    /// for `fluorobox status`; `day` is the first day counted.
    public func shadowAgreementsSoFar(shadowModel: String, shadowVersion: String, device: String) throws(StoreError) -> [ShadowAgreement] {
        try read("counting the shadow agreement so far") { db in
            try Self.shadowAgreements(db, from: .distantPast, to: .distantFuture, device: device)
                .filter { $0.shadowModel == shadowModel && $0.shadowVersion == shadowVersion }
        }
    }

    /// Counts the runs in [from, to) per task and pair of packages. A finding the active model
    /// does not report counts as not flagged by it.
    static func shadowAgreements(_ db: Database, from: Date, to: Date, device: String) throws -> [ShadowAgreement] {
        let runs = try ShadowRunRecord
            .filter(ShadowRunRecord.Columns.ranAt >= from && ShadowRunRecord.Columns.ranAt < to)
            .order(ShadowRunRecord.Columns.ranAt, Column("id"))
            .fetchAll(db)
        var agreements: [[String]: ShadowAgreement] = [:]
        var findings: [[String]: [String: ShadowAgreement.Finding]] = [:]
        var latencies: [[String]: [Double]] = [:]
        for run in runs {
            let group = [run.task, run.shadowModelID, run.shadowModelVersion, run.activeModelID, run.activeModelVersion]
            var entry = agreements[group] ?? ShadowAgreement(
                device: device, task: run.task, shadowModel: run.shadowModelID, shadowVersion: run.shadowModelVersion,
                activeModel: run.activeModelID, activeVersion: run.activeModelVersion, day: Self.day(of: run.ranAt),
                images: 0, errors: 0, findings: [], latencyP50ms: 0, latencyP95ms: 0
            )
            switch run.status {
            case .failed:
                entry.errors += 1
            case .done:
                entry.images += 1
                if let milliseconds = run.milliseconds { latencies[group, default: []].append(milliseconds) }
                for finding in run.decodedFindings {
                    var counts = findings[group, default: [:]][finding.id] ?? ShadowAgreement.Finding(id: finding.id)
                    switch (finding.activeFlagged ?? false, finding.flagged) {
                    case (true, true): counts.bothFlagged += 1
                    case (true, false): counts.onlyActive += 1
                    case (false, true): counts.onlyShadow += 1
                    case (false, false): counts.neither += 1
                    }
                    findings[group, default: [:]][finding.id] = counts
                }
            }
            agreements[group] = entry
        }
        return agreements.map { group, entry in
            var entry = entry
            entry.findings = (findings[group] ?? [:]).values.sorted { $0.id < $1.id }
            let sorted = (latencies[group] ?? []).sorted()
            entry.latencyP50ms = Self.percentile(sorted, 0.50)
            entry.latencyP95ms = Self.percentile(sorted, 0.95)
            return entry
        }.sorted { ($0.task, $0.shadowModel, $0.shadowVersion, $0.activeModel, $0.activeVersion) < ($1.task, $1.shadowModel, $1.shadowVersion, $1.activeModel, $1.activeVersion) }
    }
}
