import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import Testing

/// The hub's own evaluation of a rollout on the single-machine store: the doctor-disagree rate
/// from daily post-market reports (only the cohort's devices, only the package's version, only
/// once enough results were reviewed), two evaluations at once writing one change, and what an
/// aborted rollout still offers.
struct RolloutEvaluationTests {
    static let region = "Тверская область"
    static let devices = ["box-a", "box-b", "box-c", "box-d"]

    static func put(_ store: any HubStoring, kind: String, key: String, device: String, _ document: [String: Any]) async throws {
        let bytes = Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
        try DocumentSchema.of(kind: kind)?.validate(bytes)
        #expect(try await store.putDocument(key: key, kind: kind, device: device, serial: nil, document: DocumentBody(bytes)))
    }

    static func dailyReport(_ store: any HubStoring, device: String, version: String, agree: Int, disagree: Int) async throws {
        let day = RolloutSupervisor.day(Date())
        try await put(store, kind: "report", key: "report:\(device):chest:\(version):\(day)", device: device, [
            "device": device, "model": "chest", "version": version, "day": day, "processed": 40, "flagged": 5, "retakesAdvised": 0,
            "doctorAgree": agree, "doctorDisagree": disagree, "latencyP50ms": 200, "latencyP95ms": 400, "errors": 0,
        ])
    }

    @Test("the disagree rate halts a rollout only past its threshold, counted from enough reviews of the package's version on the cohort's devices; two evaluations at once write one halt; an aborted rollout is offered only where it was activated")
    func disagreeRate() async throws {
        let folder = TemporaryDirectory("rollout-evaluation")
        let store = try HubStore(directory: folder.path)
        try await Self.checkDisagreeRate(store, other: store)
    }

    @Test("the same on PostgreSQL, two replicas evaluating at once", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")))
    func postgresDisagreeRate() async throws {
        let server = try await PostgresServer.start("pg-rollout-evaluation")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("pg-rollout-evaluation-staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            try await Self.checkDisagreeRate(stores[0], other: stores[1])
        }
        #expect(try await server.sql("SELECT count(*) FROM console_audit WHERE action = 'model.rollout.halt'", database: "hub") == "1")
        try await server.stop()
    }

    /// The story on `store`, with `other` (another replica, or the same store) evaluating beside it.
    static func checkDisagreeRate(_ store: any HubStoring, other: any HubStoring) async throws {
        let catalog = TemporaryDirectory("rollout-evaluation-catalog")
        try Data("chest model 2.2.0".utf8).write(to: URL(fileURLWithPath: catalog.file("chest-2.2.0.fbmodel")))
        for device in Self.devices {
            try await store.setInstitution(DeviceInstitution(region: Self.region, name: "ЦРБ", taxID: "7707083893", oid: nil), device: device)
        }
        let assignment = try await store.assignModel(
            try ModelAssignment.of(file: "chest-2.2.0.fbmodel", in: catalog.path, target: .region(Self.region), assignedBy: "ops"))
        let rollout = try await store.startRollout(try ModelRollout.start(
            assignment, replacing: nil, stages: [50, 100],
            thresholds: .init(installFailurePercent: 10, referenceFailurePercent: 10, disagreePercent: 20, minimumReviewed: 10), by: "ops"))
        let cohort = rollout.cohortOrder(Self.devices)
        let (inStage, outside) = (cohort[0], cohort[3])
        let supervisor = RolloutSupervisor(store: store, logger: quietLogger)
        try await Self.put(store, kind: "model-update", key: "model-update:\(inStage):\(assignment.sha256)", device: inStage, [
            "device": inStage, "file": assignment.file, "sha256": assignment.sha256, "outcome": "activated", "package": "chest@2.2.0",
            "at": "2026-12-07T12:00:00Z",
        ])
        #expect(try await supervisor.evaluate().isEmpty, "one of the stage's two devices reported")

        // Disagreements of another version and of a device outside the stage do not count; 2 of 9 reviewed is too few to count.
        try await Self.dailyReport(store, device: inStage, version: "2.1.0", agree: 0, disagree: 30)
        try await Self.dailyReport(store, device: outside, version: "2.2.0", agree: 0, disagree: 30)
        try await Self.dailyReport(store, device: inStage, version: "2.2.0", agree: 7, disagree: 2)
        #expect(try await supervisor.evaluate().isEmpty)
        let progress = try await RolloutSupervisor.progress(of: rollout, store: store)
        #expect(progress.reviewed == 9 && progress.disagreed == 2 && progress.waiting == 1 && progress.package == "chest@2.2.0")

        // 3 of 11 (27 %) past 20 %: two replicas evaluating at once halt it once.
        try await Self.dailyReport(store, device: cohort[1], version: "2.2.0", agree: 1, disagree: 1)
        let second = RolloutSupervisor(store: other, logger: quietLogger)
        async let one = supervisor.evaluate()
        async let two = second.evaluate()
        let written = try await one + two
        #expect(written.count == 1 && written[0].state == .halted, "\(written)")
        #expect(written.first?.reason == "doctors disagreed with 3 of 11 reviewed results of chest@2.2.0 on the devices of stage 1 of 2 (50 %) (27.3 %, threshold 20 %, counted from 10 reviewed)", "\(written)")
        let halts = try await store.auditEntries(limit: 20).filter { $0.action == "model.rollout.halt" }
        #expect(halts.count == 1 && halts[0].actor == "hub")

        // Aborted: the device that activated it is still offered it, the stage's other device no longer.
        let aborted = try await RolloutSupervisor.change(rollout.id, .abort, by: "ops", store: store)
        #expect(aborted.state == .aborted)
        let offers = ModelCatalog(folder: catalog.path, store: store)
        #expect(try await offers.offered(to: inStage, shadows: false).packages.map(\.package.file) == ["chest-2.2.0.fbmodel"])
        #expect(try await offers.offered(to: cohort[1], shadows: false).packages.isEmpty)
        await #expect(throws: HubError.self) { _ = try await RolloutSupervisor.change(rollout.id, .rollBack, by: "ops", store: store) }
    }

    @Test("refusals: reference-check failures and other refusals count apart, strictly above their thresholds; not-newer and those before a resume are settled; older boxes' reasons are read")
    func refusals() throws {
        let sha = String(repeating: "b", count: 64)
        let assignment = ModelAssignment(id: 7, file: "b.fbmodel", size: 1, sha256: sha, target: .region(Self.region), assignedBy: "ops")
        var rollout = try ModelRollout.start(
            assignment, replacing: nil, stages: [100], thresholds: .init(installFailurePercent: 20, referenceFailurePercent: 10), by: "ops",
            at: Date(timeIntervalSince1970: 1_000))
        rollout.id = 3
        let devices = (0..<10).map { "box-\($0)" }
        let ordered = rollout.cohortOrder(devices)
        func report(_ device: String, _ outcome: ModelUpdateReport.Outcome, _ step: ModelUpdateReport.Step?, at: Double = 2_000) -> ModelUpdateReport {
            ModelUpdateReport(device: device, sha256: sha, package: "b@2", outcome: outcome, step: step, reason: step.map { "refused at \($0.rawValue)" }, receivedAt: Date(timeIntervalSince1970: at))
        }
        func decide(_ reports: [ModelUpdateReport]) -> RolloutProgress.Decision {
            RolloutProgress(rollout: rollout, ordered: ordered, reports: ModelUpdateReport.latest(reports), doctorVerdicts: (0, 0)).decision(for: rollout)
        }
        var reports = ordered.prefix(6).map { report($0, .activated, nil) }
        // Two other refusals of ten is 20 %: not above 20 %; one reference-check failure is 10 %: not above 10 %; one not-newer, settled.
        reports += [report(ordered[6], .refused, .install), report(ordered[7], .refused, .verification), report(ordered[8], .refused, .referenceCheck),
                    report(ordered[9], .refused, .notNewer)]
        #expect(decide(reports) == .advance)
        // A third other refusal (replacing the not-newer one): 30 % halts.
        reports[9] = report(ordered[9], .refused, .install)
        guard case .halt(let reason) = decide(reports) else { Issue.record("not halted"); return }
        #expect(reason.hasPrefix("3 of 10 devices of stage 1 of 1 (100 %) refused the package (30 %, threshold 20 %): "), "\(reason)")
        // Before the resume (counting from 1,500 s), two of them are settled.
        reports[6] = report(ordered[6], .refused, .install, at: 1_200)
        reports[7] = report(ordered[7], .refused, .verification, at: 1_200)
        rollout.countingSince = Date(timeIntervalSince1970: 1_500)
        #expect(decide(reports) == .advance)
        // A device that has not reported keeps the stage open.
        #expect(decide(Array(reports.dropFirst())) == .wait("1 of 10 devices of stage 1 of 1 (100 %) have not reported yet"))
        // An older box without `code`: its reason's words.
        let old = try #require(ModelUpdateReport(device: "box-0", body: Array(#"{"sha256":"\#(sha)","outcome":"refused","reason":"the package failed its reference check: case nodule"}"#.utf8), receivedAt: Date()))
        #expect(old.step == .referenceCheck)
    }

    @Test("stages and thresholds are checked before a rollout starts")
    func validation() throws {
        let assignment = ModelAssignment(id: 1, file: "a.fbmodel", size: 1, sha256: String(repeating: "a", count: 64), target: .region(Self.region), assignedBy: "ops")
        for stages in [[], [5, 25], [25, 5, 100], [0, 100], [5, 5, 100], [50, 150]] {
            #expect(throws: HubError.self, "\(stages)") { _ = try ModelRollout.start(assignment, replacing: nil, stages: stages, thresholds: .init(), by: "ops") }
        }
        #expect(throws: HubError.self) {
            _ = try ModelRollout.start(assignment, replacing: nil, stages: [100], thresholds: .init(installFailurePercent: 120), by: "ops")
        }
        #expect(throws: HubError.self) { _ = try ModelRollout.start(assignment, replacing: assignment, stages: [100], thresholds: .init(), by: "ops") }
        let rollout = try ModelRollout.start(assignment, replacing: nil, stages: [5, 25, 100], thresholds: .init(), by: "ops")
        #expect([0, 1, 2].map { rollout.stageSize($0, of: 40) } == [2, 10, 40])
        #expect([0, 1, 2].map { rollout.stageSize($0, of: 3) } == [1, 1, 3])
    }
}
