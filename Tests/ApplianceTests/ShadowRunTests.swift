import Analysis
import FluoroboxTestSupport
import Foundation
import GRDB
import Inference
@testable import StudyStore
@testable import Sync
import Testing
@testable import Appliance

/// A shadow package reads the images beside the task's active one: its findings are recorded
/// and compared with the active model's per finding, and never reach the clinic (results,
/// worklist, overlays, Structured Reports) nor a destination as results.
@Suite("Shadow runs beside the active package")
struct ShadowRunTests {
    static let never = 1.0

    /// The fixture's demo package stays installed; `active` (a copy with `activeThresholds`) is
    /// activated and `shadow` (a copy with `shadowThresholds`; nil: the demo itself) designated
    /// as its shadow. Returns both installed packages.
    static func prepare(
        _ fixture: AnalysisServiceTests.Fixture, key: ModelSigningKey, activeThresholds: [String: Double], shadowThresholds: [String: Double]?
    ) async throws -> (active: VerifiedModelPackage, shadow: VerifiedModelPackage) {
        let active = try DemoModel.copy(
            in: fixture.folder.file("active-package"), key: key, manifest: ["version": "2.0.1-active"], thresholds: activeThresholds
        )
        let installedActive = try await DemoModel.installAndActivate(active, into: fixture.folder.file("models"), trusting: [.demo, key.publicKey])
        return try await ModelPackageStore.withStore(
            folder: fixture.folder.file("models"), settings: ModelPackageSettings(trustedKeys: [.demo, key.publicKey]), logger: quietLogger
        ) { store in
            var reference = PackageReference(id: "chest-phantom-demo", version: "2.0.1")
            if let shadowThresholds {
                let shadow = try DemoModel.copy(
                    in: fixture.folder.file("shadow-package"), key: key, manifest: ["version": "2.0.2-shadow"], thresholds: shadowThresholds
                )
                guard case .installed(let installed) = try await store.install(from: shadow.directory) else { throw TestFailure("the shadow did not install") }
                reference = installed.reference
            }
            let designation = try await store.designateShadow(reference)
            #expect(designation.task == DemoModel.task && designation.designatedBy == "command")
            return (installedActive, try #require(try await store.loadShadow(task: DemoModel.task)))
        }
    }

    static func images(_ fixture: AnalysisServiceTests.Fixture, _ count: Int) async throws -> [Int64] {
        var ids: [Int64] = []
        for index in 0..<count {
            ids.append(try await fixture.ingest(try DemoModel.raster("nodule-source.npy"), patient: "TEST^SHADOW\(index)").instanceID)
        }
        return ids
    }

    static func today() -> String { StudyStore.day(of: Date()) }

    @Test("the shadow's flag never reaches the results, the worklist, the overlays or the outbox; its agreement is queued once per day as a report")
    func shadowNeverReachesTheClinic() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-clinic", alsoTrusting: [key.publicKey])
        // The active package flags nothing on the nodule image; the shadow (the demo) flags the nodule.
        let (active, shadow) = try await Self.prepare(
            fixture, key: key, activeThresholds: ["nodule": Self.never, "consolidation": Self.never, "effusion": Self.never], shadowThresholds: nil
        )
        let images = try await Self.images(fixture, 2)
        #expect(await fixture.drain() == 2)

        // The shadow read each image, flagged the nodule, and is recorded in its own table.
        for image in images {
            let runs = try fixture.store.shadowRuns(forInstance: image)
            try #require(runs.count == 1)
            let run = runs[0]
            #expect(run.status == .done && run.error == nil && run.flagged == true)
            #expect(run.shadowModelVersion == "2.0.1" && run.shadowPackageSHA256 == shadow.packageSHA256)
            #expect(run.activeModelID == "chest-phantom-demo" && run.activeModelVersion == "2.0.1-active")
            let nodule = try #require(run.decodedFindings.first { $0.id == "nodule" })
            #expect(nodule.flagged && nodule.activeFlagged == false && nodule.threshold == 0.35)
        }

        // Results: the active package's only, none flagged.
        let results = try fixture.read { try ResultRecord.fetchAll($0) }
        #expect(results.count == 2 && results.allSatisfy { !$0.flagged })
        for result in results {
            let report = try JSONDecoder.iso8601.decode(AnalysisReport.self, from: Data(result.report.utf8))
            #expect(report.model.packageSHA256 == active.packageSHA256 && report.flagged.isEmpty)
        }
        // The worklist the panel reads: nothing flagged.
        let worklist = try fixture.store.worklist()
        #expect(worklist.count == 2 && worklist.allSatisfy { !$0.flagged && !$0.needsAttention })
        #expect(try fixture.store.worklistCounters().flaggedStudies == 0)
        for entry in worklist {
            let detail = try #require(try fixture.store.studyDetail(studyInstanceUID: entry.studyInstanceUID))
            #expect(detail.instances.flatMap(\.results).map(\.flagged) == [false])
        }
        // Objects the box made: one overlay, one Structured Report and one presentation state per image, the active model's.
        let made = try fixture.read { try InstanceRecord.filter(Column("source") == IntakeSource.analysis).fetchAll($0) }
        #expect(made.count == 6)
        #expect(Set(results.compactMap(\.overlayInstanceID)).isSubset(of: Set(made.compactMap(\.id))))
        // The outbox: the active results (not alerts: nothing flagged) and the instances, nothing else.
        let items = try fixture.read { try OutboxItemRecord.fetchAll($0) }
        let resultItems = items.filter { $0.kind == .result }
        #expect(resultItems.count == 2 && resultItems.allSatisfy { $0.priority == .result })
        #expect(Set(resultItems.compactMap(\.resultID)) == Set(results.compactMap(\.id)))
        let knownInstances = Set(images + made.compactMap(\.id))
        #expect(items.allSatisfy { $0.kind == .result || ($0.kind == .instance && knownInstances.contains($0.instanceID ?? -1)) })

        // The day's agreement, per finding: the nodule flagged by the shadow only.
        let agreements = try fixture.store.shadowAgreements(day: Self.today(), device: "box-1")
        try #require(agreements.count == 1)
        let agreement = agreements[0]
        #expect(agreement.images == 2 && agreement.errors == 0 && agreement.task == DemoModel.task)
        #expect(agreement.findings.first { $0.id == "nodule" } == ShadowAgreement.Finding(id: "nodule", onlyShadow: 2))
        #expect(agreement.findings.filter { $0.id != "nodule" }.allSatisfy { $0.neither == 2 && $0.agreement == 1 })

        // Once the day is over it is queued for the platform as a report, once.
        let service = PostMarketReportService(store: fixture.store, deviceID: "box-1", logger: quietLogger)
        let tomorrow = Date().addingTimeInterval(86_400)
        let key2 = "shadow-agreement:box-1:chest-phantom-demo:2.0.1:chest-phantom-demo:2.0.1-active:\(Self.today())"
        #expect(service.queueFinishedDays(now: tomorrow).contains(key2))
        #expect(!service.queueFinishedDays(now: tomorrow).contains(key2))
        let queued = try fixture.read { try OutboxItemRecord.filter(Column("kind") == OutboxKind.shadowAgreement).fetchAll($0) }
        try #require(queued.count == 1)
        #expect(queued[0].idempotencyKey == key2 && queued[0].priority == .telemetry && queued[0].destination == .platform)
        #expect(queued[0].resultID == nil && queued[0].instanceID == nil)
        let document = try #require(try fixture.read { try Data.fetchOne($0, sql: "SELECT document FROM outboxItem WHERE id = ?", arguments: [queued[0].id]) })
        #expect(try JSONDecoder().decode(ShadowAgreement.self, from: document) == agreements[0].with(device: "box-1"))
        #expect(try fixture.read { try OutboxItemRecord.filter(Column("kind") == OutboxKind.result).fetchCount($0) } == 2)
    }

    @Test("agreement per finding where the two packages disagree both ways and agree on one finding")
    func agreementPerFinding() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-agreement", structuredReport: false, alsoTrusting: [key.publicKey])
        // Active flags nodule and consolidation; the shadow flags consolidation and effusion.
        _ = try await Self.prepare(
            fixture, key: key, activeThresholds: ["consolidation": 0, "effusion": Self.never],
            shadowThresholds: ["nodule": Self.never, "consolidation": 0, "effusion": 0]
        )
        let images = try await Self.images(fixture, 2)
        #expect(await fixture.drain() == 2)
        let runs = try images.flatMap { try fixture.store.shadowRuns(forInstance: $0) }
        #expect(runs.count == 2 && runs.allSatisfy { $0.status == .done && $0.shadowModelVersion == "2.0.2-shadow" })

        let agreements = try fixture.store.shadowAgreements(day: Self.today(), device: "box-1")
        try #require(agreements.count == 1)
        #expect(agreements[0].images == 2 && agreements[0].errors == 0)
        #expect(agreements[0].findings == [
            ShadowAgreement.Finding(id: "consolidation", bothFlagged: 2),
            ShadowAgreement.Finding(id: "effusion", onlyShadow: 2),
            ShadowAgreement.Finding(id: "nodule", onlyActive: 2),
        ])
        #expect(agreements[0].latencyP50ms > 0 && agreements[0].latencyP95ms >= agreements[0].latencyP50ms)
        // Another day counts nothing.
        #expect(try fixture.store.shadowAgreements(day: "2020-01-01", device: "box-1").isEmpty)
        // What `fluorobox status` shows so far.
        let soFar = try fixture.store.shadowAgreementsSoFar(shadowModel: "chest-phantom-demo", shadowVersion: "2.0.2-shadow", device: "box-1")
        #expect(soFar == agreements)
        var packageSettings = ModelPackageSettings(trustedKeys: [.demo, key.publicKey])
        packageSettings.packagesDirectory = fixture.folder.file("models")
        let status = try await StatusReport.gather(store: fixture.store, modelPackages: packageSettings, logger: quietLogger)
        let summary = try #require(status.shadows?.first)
        #expect(status.shadows?.count == 1 && summary.designation.package.version == "2.0.2-shadow")
        #expect(summary.agreements.map(\.findings) == agreements.map(\.findings) && summary.agreements.map(\.images) == [2])
    }

    @Test("clearing the shadow stops shadow runs; activating the shadow package ends its shadow run")
    func clearingStopsShadowRuns() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-clear", structuredReport: false, alsoTrusting: [key.publicKey])
        let (_, shadow) = try await Self.prepare(fixture, key: key, activeThresholds: [:], shadowThresholds: ["nodule": Self.never])
        let first = try await Self.images(fixture, 1)
        #expect(await fixture.drain() == 1)
        #expect(try fixture.store.shadowRuns(forInstance: first[0]).count == 1)

        let settings = ModelPackageSettings(trustedKeys: [.demo, key.publicKey])
        let models = fixture.folder.file("models")
        let removed = try await ModelPackageStore.withStore(folder: models, settings: settings, logger: quietLogger) { try await $0.clearShadow(task: DemoModel.task) }
        #expect(removed?.package == shadow.reference)
        let second = try await Self.images(fixture, 1)
        #expect(await fixture.drain() == 1)
        #expect(try fixture.store.shadowRuns(forInstance: second[0]).isEmpty)
        #expect(try fixture.read { try ResultRecord.fetchCount($0) } == 2)

        // Designated again, then activated: the region switched to it, it no longer shadows itself.
        try await ModelPackageStore.withStore(folder: models, settings: settings, logger: quietLogger) { store in
            _ = try await store.designateShadow(shadow.reference)
            #expect(try await store.shadows().map(\.package) == [shadow.reference])
            _ = try await store.activate(shadow.reference)
            #expect(try await store.shadows().isEmpty)
            // The active package is refused as its own shadow.
            let error = await #expect(throws: ModelPackageError.self) { try await store.designateShadow(shadow.reference) }
            #expect(error?.code == .shadowIsActive)
        }
    }

    @Test("a shadow package that fails to load does not stop the active results; each image records the failure")
    func brokenShadowDoesNotStopActiveResults() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-broken", structuredReport: false, alsoTrusting: [key.publicKey])
        let (_, shadow) = try await Self.prepare(fixture, key: key, activeThresholds: [:], shadowThresholds: ["nodule": Self.never])
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: shadow.directory + "/model.onnx"))
        let images = try await Self.images(fixture, 2)
        #expect(await fixture.drain() == 2)

        let analyses = try fixture.read { try AnalysisRecord.fetchAll($0) }
        #expect(analyses.count == 2 && analyses.allSatisfy { $0.status == .done })
        let results = try fixture.read { try ResultRecord.fetchAll($0) }
        #expect(results.count == 2 && results.allSatisfy(\.flagged))
        #expect(try fixture.read { try OutboxItemRecord.filter(Column("kind") == OutboxKind.result).fetchCount($0) } == 2)
        for image in images {
            let runs = try fixture.store.shadowRuns(forInstance: image)
            #expect(runs.count == 1 && runs.first?.status == .failed && runs.first?.findings == nil)
            #expect(runs.first?.error?.contains("model.onnx") == true, "\(runs.first?.error ?? "")")
        }
        let agreement = try #require(try fixture.store.shadowAgreements(day: Self.today(), device: "box-1").first)
        #expect(agreement.images == 0 && agreement.errors == 2 && agreement.findings.isEmpty)
    }
}

extension ShadowAgreement {
    func with(device: String) -> ShadowAgreement {
        var copy = self
        copy.device = device
        return copy
    }
}
