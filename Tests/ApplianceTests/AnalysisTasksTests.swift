import Analysis
import FluoroboxTestSupport
import Foundation
import GRDB
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

/// Several models on one image: every task with an active package reads each image taken in
/// after it was activated, each with its own analysis, result, provenance and outbox item.
@Suite("Every active task reads each image")
struct AnalysisTasksTests {
    static let qualityTask = "image-quality"
    static let qualityID = "chest-phantom-quality"

    /// The demo model's fixture with a second package (the demo's model under another task and
    /// id, signed by a test key) installed and activated beside it; returns the installed copy.
    static func installQualityPackage(_ fixture: AnalysisServiceTests.Fixture, key: ModelSigningKey) async throws -> VerifiedModelPackage {
        let package = try DemoModel.copy(
            in: fixture.folder.file("quality-package"), key: key,
            manifest: ["task": qualityTask, "id": qualityID, "version": "0.9.0"]
        )
        return try await DemoModel.installAndActivate(package, into: fixture.folder.file("models"), trusting: [.demo, key.publicKey])
    }

    static func analyses(_ fixture: AnalysisServiceTests.Fixture, instance: Int64) throws -> [AnalysisRecord] {
        try fixture.read { try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == instance).order(AnalysisRecord.Columns.task).fetchAll($0) }
    }

    @Test("two tasks, two analyses per new image, each result with its own model and package hash, both queued for the platform; an older image is not queued for the later task")
    func twoTasksOnOneImage() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "analysis-tasks", structuredReport: false, alsoTrusting: [key.publicKey])
        let older = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"))
        // Activation times are kept to the second: the older image is a clear second earlier.
        try await Task.sleep(for: .milliseconds(1100))
        let quality = try await Self.installQualityPackage(fixture, key: key)
        let receipt = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"), patient: "TEST^TWO")
        #expect(await fixture.drain() == 3)

        #expect(try Self.analyses(fixture, instance: older.instanceID).map(\.task) == [DemoModel.task])
        let analyses = try Self.analyses(fixture, instance: receipt.instanceID)
        #expect(analyses.map(\.task) == [DemoModel.task, Self.qualityTask])
        #expect(analyses.map(\.status) == [.done, .done])
        #expect(analyses.map(\.modelID) == ["chest-phantom-demo", Self.qualityID])

        let results = try fixture.read { try ResultRecord.filter(ResultRecord.Columns.instanceID == receipt.instanceID).fetchAll($0) }
        #expect(results.count == 2)
        var packageByTask: [String: String] = [:]
        for result in results {
            let report = try JSONDecoder.iso8601.decode(AnalysisReport.self, from: Data(result.report.utf8))
            let task = try #require(analyses.first { $0.id == result.analysisID }?.task)
            packageByTask[task] = report.model.packageSHA256
            #expect(report.model.id == (task == Self.qualityTask ? Self.qualityID : "chest-phantom-demo"))
            #expect(report.source.sopInstanceUID == receipt.sopInstanceUID)
        }
        #expect(packageByTask[Self.qualityTask] == quality.packageSHA256)
        #expect(packageByTask[DemoModel.task] != nil && packageByTask[DemoModel.task] != quality.packageSHA256)

        let items = try fixture.read { try OutboxItemRecord.fetchAll($0).filter { $0.kind == .result } }
        let forImage = items.filter { $0.instanceID == receipt.instanceID }
        #expect(Set(forImage.compactMap(\.resultID)) == Set(results.compactMap(\.id)))
        #expect(forImage.allSatisfy { $0.destination == .platform } && Set(forImage.map(\.idempotencyKey)).count == 2)
        #expect(try fixture.store.pendingAnalysesByTask().isEmpty)
        let listed = try fixture.store.listStudies().flatMap(\.instances).first { $0.sopInstanceUID == receipt.sopInstanceUID }
        #expect(listed?.analyses.map(\.task) == [DemoModel.task, Self.qualityTask])
        #expect(listed?.analyses.compactMap(\.model) == ["chest-phantom-demo@\(analyses[0].modelVersion ?? "")", "\(Self.qualityID)@0.9.0"])

        // A later pass queues nothing again for images already looked at, nor after a restart of the service.
        #expect(await fixture.drain() == 0)
        #expect(await fixture.service.runOnce(loader: AnalyzerCache(settings: fixture.service.settings, logger: quietLogger)) == false)
        #expect(try Self.analyses(fixture, instance: receipt.instanceID).count == 2)
    }

    @Test("a task whose package is broken waits; the other task's results keep flowing", arguments: [true, false])
    func brokenTaskDoesNotBlock(breakConfiguredTask: Bool) async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "analysis-tasks-broken", structuredReport: false, alsoTrusting: [key.publicKey])
        let quality = try await Self.installQualityPackage(fixture, key: key)
        let demo = try await ModelPackageStore.withStore(
            folder: fixture.folder.file("models"), settings: ModelPackageSettings(trustedKeys: [.demo]), logger: quietLogger
        ) { try await $0.loadActive(task: DemoModel.task) }
        let broken = breakConfiguredTask ? demo : quality
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: broken.directory + "/model.onnx"))
        let working = breakConfiguredTask ? Self.qualityTask : DemoModel.task

        var images: [Int64] = []
        for patient in ["TEST^ONE", "TEST^TWO"] {
            images.append(try await fixture.ingest(try DemoModel.raster("nodule-source.npy"), patient: patient).instanceID)
        }
        #expect(await fixture.drain() == 2)
        for image in images {
            let analyses = try Self.analyses(fixture, instance: image)
            #expect(analyses.map(\.task) == [DemoModel.task, Self.qualityTask])
            #expect(analyses.map(\.status) == analyses.map { $0.task == working ? .done : .pending })
        }
        let brokenTask = breakConfiguredTask ? DemoModel.task : Self.qualityTask
        #expect(try fixture.store.pendingAnalysesByTask() == [brokenTask: 2])
        let results = try fixture.read { try ResultRecord.fetchAll($0) }
        let queued = try fixture.read { try OutboxItemRecord.fetchAll($0).filter { $0.kind == .result } }
        #expect(results.count == 2 && Set(queued.compactMap(\.resultID)) == Set(results.compactMap(\.id)))
    }
}
