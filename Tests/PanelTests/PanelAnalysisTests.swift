import BrowserTesting
import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Inference
import Panel
import StudyStore
import Testing
@testable import Appliance

/// The study view over what the agent's analysis really writes: the demo model's result and its
/// overlay Secondary Capture.
@Suite("Panel over real analysis results")
struct PanelAnalysisTests {
    @Test("an analysed study shows the report and toggles to the overlay JPEG")
    func overlayFromTheAnalysisService() async throws {
        let fixture = try await PanelFixture()
        let folder = TemporaryDirectory("panel-analysis")
        try await DemoModel.install(into: folder.file("models"))
        let receipt = try await Self.ingestNoduleImage(fixture.store)
        await Self.analyseAll(fixture.store, packages: folder.file("models"), trusting: [.demo])

        let detail = try #require(try fixture.store.studyDetail(studyInstanceUID: receipt.studyInstanceUID))
        #expect(detail.instances.count == 1, "the overlay is shown with its image, not as an image of its own")
        let overlayID = try #require(detail.instances.first?.results.first?.overlayInstanceID)

        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let worklist = String(buffer: try await browser.get("/studies").body)
            #expect(worklist.range(of: "data-uid=\"\(receipt.studyInstanceUID)\"") != nil)
            let page = String(buffer: try await browser.get("/studies/\(receipt.studyInstanceUID)").body)
            #expect(page.contains("data-overlay=\"/instances/\(overlayID)/image\""))
            #expect(page.contains("Show overlay") && page.contains("Findings") && page.contains("chest-phantom-demo"))
            let overlay = try await browser.get("/instances/\(overlayID)/image")
            #expect(overlay.status == .ok && overlay.headers[.contentType] == "image/jpeg")
            let jpeg = Array(overlay.body.readableBytesView)
            #expect(jpeg.starts(with: [0xFF, 0xD8]) && jpeg.suffix(2) == [0xFF, 0xD9])
            let plain = try await browser.get("/instances/\(receipt.instanceID)/image")
            #expect(plain.status == .ok && Array(plain.body.readableBytesView.prefix(2)) == [0xFF, 0xD8])
        }
    }

    @Test("two models on one image: the study page shows each task's result with its own model")
    func twoTasksOnTheStudyPage() async throws {
        let fixture = try await PanelFixture()
        let folder = TemporaryDirectory("panel-analysis-tasks")
        try await DemoModel.install(into: folder.file("models"))
        let key = ModelSigningKey()
        let quality = try DemoModel.copy(in: folder.file("quality"), key: key, manifest: ["task": "image-quality", "id": "chest-phantom-quality"])
        _ = try await DemoModel.installAndActivate(quality, into: folder.file("models"), trusting: [.demo, key.publicKey])
        let receipt = try await Self.ingestNoduleImage(fixture.store)
        await Self.analyseAll(fixture.store, packages: folder.file("models"), trusting: [.demo, key.publicKey])

        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let page = String(buffer: try await browser.get("/studies/\(receipt.studyInstanceUID)").body)
            #expect(page.contains("data-task=\"\(DemoModel.task)\"") && page.contains("data-task=\"image-quality\""))
            #expect(page.contains("chest-phantom-demo") && page.contains("chest-phantom-quality"))
            #expect(page.components(separatedBy: "class=\"result\"").count == 3)
        }
    }

    /// A 16-bit DX of the demo's nodule raster, stored and queued for the demo model's task.
    static func ingestNoduleImage(_ store: StudyStore) async throws -> IntakeReceipt {
        let image = try DemoModel.raster("nodule-source.npy")
        let bytes = try USBCaptureDocument.part10(
            image: image, framesIntegrated: 1, sopInstanceUID: DICOMUID.random(), capturedAt: Date(),
            device: .init(manufacturer: nil, model: nil, serialNumber: nil, description: "test", stationName: nil),
            registration: nil, modality: "DX"
        )
        return try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, analyses: [DemoModel.task])) {
            try ContentDescriber.describe($0)
        }
    }

    /// Runs the agent's analysis service until its queue is empty.
    static func analyseAll(_ store: StudyStore, packages: String, trusting keys: [ModelPublicKey]) async {
        var settings = AnalysisSettings()
        settings.isolation = .childProcess(executable: ProcessRunner.fluorobox)
        settings.threads = 1
        let service = AnalysisService(
            settings: settings, store: store, packagesDirectory: packages, packageSettings: ModelPackageSettings(trustedKeys: keys),
            gate: ReadinessGate(expecting: [AnalysisService.name]), logger: quietLogger
        )
        let cache = AnalyzerCache(settings: settings, logger: quietLogger)
        while await service.runOnce(loader: cache) {}
    }
}
