import Crypto
import Foundation
import FluoroboxTestSupport
import GRDB
import POSIXSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("Post-market reports and doctor feedback reach the platform", .serialized)
struct PostMarketReportTests {
    @Test("a day's figures per model version (processed, flagged, retakes, verdicts, latency p50/p95, errors) are queued once and the hub receives them with the feedback")
    func dailyReportReachesHub() async throws {
        let box = TemporaryDirectory("report-box")
        let hubDirectory = TemporaryDirectory("report-hub")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let day = "2026-11-20"
        let dayStart = try #require(StudyStore.startOfDay(day))
        let expectedInstances = try await SyncFixture.fill(store, instances: 2, instanceBytes: 1000, results: 0, seed: 9)
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        // Model 1.0.0: 10 analyses with latencies 100…1000 ms (one retake, three flagged), 2 failures,
        // and one on the next day (not counted). Model 1.1.0: one analysis.
        let resultIDs = try await queue.write { db -> [Int64] in
            var ids: [Int64] = []
            func analysis(version: String, status: String, latency: Double, at: Date, flagged: Bool?, verdict: String = "ok") throws {
                let started = at
                let finished = at.addingTimeInterval(latency / 1000)
                try db.execute(
                    sql: "INSERT INTO analysis (instanceID, task, modelID, modelVersion, status, attempts, queuedAt, startedAt, finishedAt) VALUES (1, 'chest-findings', 'demo', ?, ?, 1, ?, ?, ?)",
                    arguments: [version, status, started, started, finished]
                )
                let analysisID = db.lastInsertedRowID
                if let flagged {
                    // The first result names an older registration: the newest one of the day counts.
                    let registration = ids.isEmpty ? "РЗН 2020/00001" : "РЗН 2025/00017"
                    let report = #"{"n":\#(analysisID),"model":{"use":"clinical","registrationNumber":"\#(registration)","registrationDate":"2025-07-01","intendedUse":"triage"}}"#
                    try db.execute(
                        sql: "INSERT INTO result (analysisID, instanceID, flagged, qualityVerdict, report, resultHash, createdAt) VALUES (?, 1, ?, ?, ?, ?, ?)",
                        arguments: [analysisID, flagged, verdict, report, SyncFixture.hex(report.utf8), finished]
                    )
                    ids.append(db.lastInsertedRowID)
                }
            }
            for index in 1...10 {
                try analysis(
                    version: "1.0.0", status: index == 10 ? "skipped" : "done", latency: Double(index) * 100,
                    at: dayStart.addingTimeInterval(Double(index) * 3600), flagged: index <= 3,
                    // Index 9 as rows written before the store's own word: `acceptable` asks for no retake.
                    verdict: index == 10 ? "retake" : index == 9 ? "acceptable" : "ok"
                )
            }
            try analysis(version: "1.0.0", status: "failed", latency: 50, at: dayStart.addingTimeInterval(40_000), flagged: nil)
            try analysis(version: "1.0.0", status: "failed", latency: 50, at: dayStart.addingTimeInterval(41_000), flagged: nil)
            try analysis(version: "1.0.0", status: "done", latency: 10, at: dayStart.addingTimeInterval(90_000), flagged: true)
            try analysis(version: "1.1.0", status: "done", latency: 700, at: dayStart.addingTimeInterval(50_000), flagged: false)
            return ids
        }
        let study = "1.2.826.0.1.3680043.10.1001.9.0"
        try store.recordFeedback(studyInstanceUID: study, resultID: resultIDs[0], verdict: .agree, comment: nil, role: "doctor")
        try store.recordFeedback(studyInstanceUID: study, resultID: resultIDs[1], verdict: .agree, comment: "fine", role: "doctor")
        try store.recordFeedback(studyInstanceUID: study, resultID: resultIDs[2], verdict: .disagree, comment: "artefact", role: "doctor")

        // A shadow package read the day's first image beside the active 1.0.0: its agreement goes
        // to the platform as a report of its own.
        let shadowFindings = [ShadowRunRecord.Finding(id: "nodule", probability: 0.9, threshold: 0.5, flagged: true, activeFlagged: false, activeProbability: 0.2)]
        #expect(try store.recordShadowRun(ShadowRunRecord(
            analysisID: 1, instanceID: 1, task: "chest-findings", activeModelID: "demo", activeModelVersion: "1.0.0", shadowModelID: "demo",
            shadowModelVersion: "1.2.0", shadowPackageSHA256: String(repeating: "ab", count: 32), status: .done, flagged: true,
            findings: String(decoding: try JSONEncoder().encode(shadowFindings), as: UTF8.self), milliseconds: 320, error: nil,
            ranAt: dayStart.addingTimeInterval(3700)
        )))
        let agreement = try #require(try store.shadowAgreements(day: day, device: "box-test-1").first)
        #expect(agreement.findings == [ShadowAgreement.Finding(id: "nodule", onlyShadow: 1)])

        let reporter = PostMarketReportService(store: store, deviceID: "box-test-1", logger: quietLogger)
        let now = dayStart.addingTimeInterval(86_400 + 43_200)
        let keys = reporter.queueFinishedDays(now: now)
        #expect(Set(keys) == [
            "report:box-test-1:demo:1.0.0:2026-11-20", "report:box-test-1:demo:1.1.0:2026-11-20", agreement.idempotencyKey,
        ], "\(keys)")
        #expect(reporter.queueFinishedDays(now: now).isEmpty, "a day is queued once")

        let figures = try #require(try store.postMarketFigures(day: day, device: "box-test-1").first { $0.version == "1.0.0" })
        #expect(figures.processed == 10 && figures.errors == 2 && figures.flagged == 3 && figures.retakesAdvised == 1)
        #expect(figures.doctorAgree == 2 && figures.doctorDisagree == 1 && figures.doctorMissed == 0)
        #expect(figures.latencyP50ms == 500 && figures.latencyP95ms == 1000, "\(figures)")
        // The registration of the newest result of the day (the 10th; the one on the next day is not counted).
        #expect(figures.modelUse == "clinical" && figures.registrationNumber == "РЗН 2025/00017", "\(figures)")
        #expect(figures.registrationDate == "2025-07-01" && figures.intendedUse == "triage")

        // An adverse-event report filed from the command line goes too, first.
        let filed = try await ProcessRunner.run(
            ProcessRunner.fluorobox, ["sync", "adverse-event", "--data-dir", box.path, "--description", "overlay hid a lesion", "--result-key", "result:x:1.0.0:abc"]
        )
        #expect(filed.status == 0 && filed.stdout.contains("adverse-event report queued as adverse-event:"), "\(filed.stdout) \(filed.stderr)")

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        var settings = SyncDeliveryTests.settings(proxyPort: hubPort, chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        let service = try SyncService.platform(store: store, settings: settings, onReady: {}, logger: quietLogger)
        let drain = Task { try await service.run() }
        let total = expectedInstances.all.count + 2 + 1 + 3 + 1
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try SyncFixture.platformStates(store)["sent", default: 0] < total {
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value
        #expect(try SyncFixture.platformStates(store) == ["sent": total])

        let held = try await HubList.items(dataDirectory: hubDirectory.path)
        let byKind = Dictionary(grouping: held, by: \.kind)
        #expect(byKind["report"]?.count == 2)
        #expect(byKind["feedback"]?.count == 3)
        #expect(byKind["adverse-event"]?.count == 1)
        // The hub takes the shadow agreement under its own kind, byte for byte as queued.
        let heldAgreement = try #require(byKind["shadow-agreement"]?.first)
        #expect(byKind["shadow-agreement"]?.count == 1 && heldAgreement.key == agreement.idempotencyKey)
        #expect(heldAgreement.sha256 == SyncFixture.hex(try JSONEncoder.compact().encode(agreement)))
        #expect(held.first?.kind == "adverse-event", "an alert goes first: \(held.map(\.kind))")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let report = try #require(byKind["report"]?.first { $0.key == figures.idempotencyKey })
        #expect(report.sha256 == SyncFixture.hex(try encoder.encode(figures)))
        #expect(report.device == "box-test-1")
    }
}
