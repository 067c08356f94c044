import Foundation
import FluoroboxTestSupport
import GRDB
import StudyStore
import Sync
import SyncFixtures
import Testing

/// A demonstration model's results are left out of post-market figures, and the report says
/// how many.
@Suite("Post-market figures leave demonstration results out")
struct PostMarketDemonstrationTests {
    @Test("clinical results count; demonstration results (stated, unstated, unreadable) count in no figure, verdicts and latency included, only in demonstrationResultsLeftOut")
    func leftOut() async throws {
        let box = TemporaryDirectory("report-demo")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let day = "2026-11-21"
        let dayStart = try #require(StudyStore.startOfDay(day))
        _ = try await SyncFixture.fill(store, instances: 1, instanceBytes: 500, results: 0, seed: 12)
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        let resultIDs = try await queue.write { db -> [String: [Int64]] in
            var ids: [String: [Int64]] = [:]
            var hour = 0.0
            func result(model: String, report: String, flagged: Bool, verdict: String = "ok") throws {
                hour += 1
                let started = dayStart.addingTimeInterval(hour * 3600)
                try db.execute(
                    sql: "INSERT INTO analysis (instanceID, task, modelID, modelVersion, status, attempts, queuedAt, startedAt, finishedAt) VALUES (1, 'chest-findings', ?, '1.0.0', 'done', 1, ?, ?, ?)",
                    arguments: [model, started, started, started.addingTimeInterval(0.2)]
                )
                let analysisID = db.lastInsertedRowID
                try db.execute(
                    sql: "INSERT INTO result (analysisID, instanceID, flagged, qualityVerdict, report, resultHash, createdAt) VALUES (?, 1, ?, ?, ?, ?, ?)",
                    arguments: [analysisID, flagged, verdict, report, "hash-\(analysisID)", started]
                )
                ids[model, default: []].append(db.lastInsertedRowID)
            }
            let clinical = #"{"model":{"id":"x","use":"clinical"},"findings":[]}"#
            try result(model: "clinical", report: clinical, flagged: true)
            try result(model: "clinical", report: clinical, flagged: false, verdict: "retake")
            try result(model: "demo", report: #"{"model":{"id":"x","use":"demonstration"},"findings":[]}"#, flagged: true)
            try result(model: "demo", report: #"{"model":{"id":"x"},"findings":[]}"#, flagged: true, verdict: "retake")
            try result(model: "demo", report: "not json", flagged: true)
            try result(model: "mixed", report: clinical, flagged: false)
            try result(model: "mixed", report: #"{"model":{"id":"x"}}"#, flagged: true)
            return ids
        }
        let study = "1.2.826.0.1.3680043.10.1001.12.0"
        try store.recordFeedback(studyInstanceUID: study, resultID: resultIDs["demo"]![0], verdict: .agree, comment: nil, role: "doctor")
        try store.recordFeedback(studyInstanceUID: study, resultID: resultIDs["clinical"]![0], verdict: .disagree, comment: nil, role: "doctor")

        let figures = Dictionary(uniqueKeysWithValues: try store.postMarketFigures(day: day, device: "box-demo").map { ($0.model, $0) })
        let clinical = try #require(figures["clinical"])
        #expect(clinical.processed == 2 && clinical.flagged == 1 && clinical.retakesAdvised == 1 && clinical.doctorDisagree == 1)
        #expect(clinical.demonstrationResultsLeftOut == 0 && clinical.latencyP50ms == 200)
        let demo = try #require(figures["demo"])
        #expect(demo.demonstrationResultsLeftOut == 3, "\(demo)")
        #expect(demo.processed == 0 && demo.flagged == 0 && demo.retakesAdvised == 0 && demo.doctorAgree == 0 && demo.latencyP95ms == 0)
        let mixed = try #require(figures["mixed"])
        #expect(mixed.processed == 1 && mixed.flagged == 0 && mixed.demonstrationResultsLeftOut == 1)
        // What the regulator report reads: a version with counted results is clinical that day.
        #expect(clinical.modelUse == "clinical" && demo.modelUse == "demonstration" && mixed.modelUse == "clinical")

        // The queued report says how many were left out.
        let reporter = PostMarketReportService(store: store, deviceID: "box-demo", logger: quietLogger)
        let keys = reporter.queueFinishedDays(now: dayStart.addingTimeInterval(86_400 + 3600))
        #expect(keys.contains(demo.idempotencyKey))
        let document = try #require(try await queue.read { db in
            try Data.fetchOne(db, sql: "SELECT document FROM outboxItem WHERE idempotencyKey = ?", arguments: [demo.idempotencyKey])
        })
        let sent = try #require(try JSONSerialization.jsonObject(with: document) as? [String: Any])
        #expect(sent["demonstrationResultsLeftOut"] as? Int == 3 && sent["processed"] as? Int == 0, "\(sent)")
    }
}
