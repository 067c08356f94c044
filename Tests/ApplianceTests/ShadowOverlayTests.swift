import Analysis
import FluoroboxTestSupport
import Foundation
import GRDB
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

/// A shadow run's overlay was drawn and encoded by its worker on every image, then thrown away;
/// the request now says not to draw it (`drawsOverlay`), and the findings come back the same.
@Suite("A shadow run draws no overlay")
struct ShadowOverlayTests {
    @Test("the worker process asked not to draw answers the same findings with no overlay and no overlay time; asked to draw, an overlay")
    func workerSkipsTheOverlay() async throws {
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-overlay", installModel: false)
        let receipt = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"))
        let instance = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: receipt.instanceID) })
        let package = try ModelPackageVerifier(trustedKeys: [.demo]).verify(directory: DemoModel.path)
        func answer(drawsOverlay: Bool) throws -> AnalysisWorker.Response {
            let request = AnalysisWorker.Request(
                imagePath: fixture.store.directory.absolute(instance.blobPath), packageDirectory: package.directory,
                packageSHA256: package.packageSHA256, trustedKeys: [ModelPublicKey.demo.text], threads: 1,
                studyInstanceUID: "2.25.1", sopInstanceUID: instance.sopInstanceUID, memoryLimitBytes: 0, legendLanguage: .ru,
                overlayFontPath: LegendFont.defaultPath, drawsOverlay: drawsOverlay
            )
            switch AnalysisWorkerProcess(executable: ProcessRunner.fluorobox, timeoutSeconds: 120).run(request) {
            case .success(let response): return response
            case .failure(let failure): throw TestFailure(failure.reason)
            }
        }
        let shadow = try answer(drawsOverlay: false), active = try answer(drawsOverlay: true)
        let shadowReport = try #require(shadow.report, "\(shadow.failure ?? "")"), activeReport = try #require(active.report, "\(active.failure ?? "")")
        #expect(shadow.overlayJPEG == nil && shadowReport.timings.overlayMilliseconds == 0)
        #expect((active.overlayJPEG?.count ?? 0) > 1_000 && activeReport.timings.overlayMilliseconds > 0)
        #expect(shadowReport.findings == activeReport.findings && shadowReport.findings.contains { $0.id == "nodule" && $0.flaggedForReview })
    }

    @Test("the agent's shadow runs record their findings, and the only overlays stored are the active model's")
    func shadowRunsRecordFindings() async throws {
        let key = ModelSigningKey()
        let fixture = try await AnalysisServiceTests.Fixture(name: "shadow-overlay-runs", alsoTrusting: [key.publicKey])
        _ = try await ShadowRunTests.prepare(
            fixture, key: key, activeThresholds: ["nodule": ShadowRunTests.never], shadowThresholds: nil
        )
        let images = try await ShadowRunTests.images(fixture, 2)
        #expect(await fixture.drain() == 2)
        for image in images {
            let runs = try fixture.store.shadowRuns(forInstance: image)
            #expect(runs.count == 1 && runs.first?.status == .done && runs.first?.flagged == true, "\(runs)")
            #expect(runs.first?.decodedFindings.map(\.id).sorted() == ["consolidation", "effusion", "nodule"])
        }
        let overlays = try fixture.read { try InstanceRecord.filter(Column("source") == IntakeSource.analysis).fetchAll($0) }
        let results = try fixture.read { try ResultRecord.fetchAll($0) }
        #expect(results.count == 2 && Set(results.compactMap(\.overlayInstanceID)).count == 2)
        #expect(overlays.count == 6, "an overlay, a Structured Report and a presentation state per image, the active model's")
    }
}
