import Foundation
import GRDB

extension StudyStore {
    /// The post-market figures of every model version that finished or failed an analysis on
    /// `day` (UTC, YYYY-MM-DD). Feedback counts are the verdicts recorded on that version's
    /// results so far. A demonstration model's results count in no figure (not processed,
    /// flagged, retakes, latency or verdicts), only in `demonstrationResultsLeftOut`.
    public func postMarketFigures(day: String, device: String) throws(StoreError) -> [PostMarketFigures] {
        guard let start = Self.startOfDay(day) else {
            throw StoreError(.notFound, "\(day) is not a day (YYYY-MM-DD)")
        }
        let end = start.addingTimeInterval(86_400)
        return try read("counting post-market figures of \(day)") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT analysis.id AS id, COALESCE(analysis.modelID, 'unknown') AS model,
                       COALESCE(analysis.modelVersion, 'unknown') AS version, analysis.status AS status,
                       analysis.startedAt AS startedAt, analysis.finishedAt AS finishedAt,
                       result.id AS resultID, result.flagged AS flagged, result.qualityVerdict AS verdict,
                       \(Self.demonstrationResultSQL) AS demonstration,
                       \(Self.reportField("model.registrationNumber")) AS registrationNumber,
                       \(Self.reportField("model.registrationDate")) AS registrationDate,
                       \(Self.reportField("model.intendedUse")) AS intendedUse
                FROM analysis LEFT JOIN result ON result.analysisID = analysis.id
                WHERE analysis.finishedAt >= ? AND analysis.finishedAt < ? AND analysis.status IN ('done', 'skipped', 'failed')
                ORDER BY analysis.id
                """, arguments: [start, end])
            var figures: [String: PostMarketFigures] = [:]
            var latencies: [String: [Double]] = [:]
            var resultIDs: [String: [Int64]] = [:]
            for row in rows {
                let model: String = row["model"], version: String = row["version"]
                let group = model + "\u{0}" + version
                var entry = figures[group] ?? PostMarketFigures(
                    device: device, model: model, version: version, day: day, processed: 0, flagged: 0, retakesAdvised: 0,
                    doctorAgree: 0, doctorDisagree: 0, doctorMissed: 0, latencyP50ms: 0, latencyP95ms: 0, errors: 0
                )
                let status: String = row["status"]
                if row["resultID"] as Int64? != nil {
                    if (row["demonstration"] as Int?) == 1 {
                        entry.modelUse = entry.modelUse ?? "demonstration"
                    } else {
                        // A version with counted (clinical) results is clinical that day; rows come in
                        // analysis order, so the newest clinical result names its registration.
                        entry.modelUse = "clinical"
                        entry.registrationNumber = row["registrationNumber"]
                        entry.registrationDate = row["registrationDate"]
                        entry.intendedUse = row["intendedUse"]
                    }
                }
                if row["resultID"] as Int64? != nil, (row["demonstration"] as Int?) == 1 {
                    entry.demonstrationResultsLeftOut += 1
                    figures[group] = entry
                    continue
                }
                if status == "failed" {
                    entry.errors += 1
                } else {
                    entry.processed += 1
                    if let started: Date = row["startedAt"], let finished: Date = row["finishedAt"] {
                        latencies[group, default: []].append(max(0, finished.timeIntervalSince(started) * 1000))
                    }
                }
                if let resultID: Int64 = row["resultID"] {
                    resultIDs[group, default: []].append(resultID)
                    if (row["flagged"] as Bool?) == true { entry.flagged += 1 }
                    if let verdict: String = row["verdict"], QualityOutcome.asksForRetake(stored: verdict) { entry.retakesAdvised += 1 }
                }
                figures[group] = entry
            }
            for (group, ids) in resultIDs where !ids.isEmpty {
                let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT verdict, COUNT(*) AS n FROM feedback WHERE resultID IN (\(placeholders)) GROUP BY verdict",
                    arguments: StatementArguments(ids)
                ) {
                    let count: Int = row["n"]
                    switch row["verdict"] as String {
                    case "agree": figures[group]?.doctorAgree += count
                    case "disagree": figures[group]?.doctorDisagree += count
                    case "missed": figures[group]?.doctorMissed += count
                    default: break
                    }
                }
            }
            for (group, values) in latencies {
                let sorted = values.sorted()
                figures[group]?.latencyP50ms = Self.percentile(sorted, 0.50)
                figures[group]?.latencyP95ms = Self.percentile(sorted, 0.95)
            }
            return figures.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) }
        }
    }

    /// Nearest-rank percentile of sorted values (0 when empty), rounded to 0.1 ms.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
        return (sorted[min(rank, sorted.count) - 1] * 10).rounded() / 10
    }

    /// The first UTC day an analysis finished on, if any.
    public func firstAnalysisDay() throws(StoreError) -> String? {
        try read("reading the first analysis day") { db in
            try Date.fetchOne(db, sql: "SELECT MIN(finishedAt) FROM analysis WHERE finishedAt IS NOT NULL").map { Self.day(of: $0) }
        }
    }

    /// Queues a self-contained JSON document (a post-market report, a model update outcome) for
    /// `destination`, unless an item with the same key is already there. Returns whether it queued.
    @discardableResult
    public func queueDocument(
        destination: Destination, kind: OutboxKind, key: String, priority: OutboxPriority, document: [UInt8], now: Date = Date()
    ) throws(StoreError) -> Bool {
        try write("queueing \(key)") { db in
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM outboxItem WHERE destination = ? AND idempotencyKey = ?)",
                arguments: [destination, key]
            ) ?? false
            if exists { return false }
            try db.execute(sql: """
                INSERT INTO outboxItem (destination, kind, idempotencyKey, priority, payloadBytes, state, attempts,
                                        nextAttemptAt, createdAt, document)
                VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)
                """, arguments: [destination, kind, key, priority, document.count, now, now, Data(document)])
            return true
        }
    }

    /// The UTC day of `date`, YYYY-MM-DD.
    public static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// Midnight UTC of a YYYY-MM-DD day; nil when it is not one.
    public static func startOfDay(_ day: String) -> Date? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, day.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              Self.day(of: date) == day else { return nil }
        return date
    }
}
