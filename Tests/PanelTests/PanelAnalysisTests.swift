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
        var settings = AnalysisSettings()
        settings.isolation = .childProcess(executable: ProcessRunner.fluorobox)
        settings.threads = 1
        let service = AnalysisService(
            settings: settings, store: fixture.store, packagesDirectory: folder.file("models"), packageSettings: ModelPackageSettings(trustedKeys: [.demo]),
            gate: ReadinessGate(expecting: [AnalysisService.name]), logger: quietLogger
        )
        let image = try DemoModel.raster("nodule-source.npy")
        let bytes = try USBCaptureDocument.part10(
            image: image, framesIntegrated: 1, sopInstanceUID: DICOMUID.random(), capturedAt: Date(),
            device: .init(manufacturer: nil, model: nil, serialNumber: nil, description: "test", stationName: nil),
            registration: nil, modality: "DX"
        )
        let receipt = try await fixture.store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, analyses: [DemoModel.task])) {
            try ContentDescriber.describe($0)
        }
        let cache = AnalyzerCache(settings: settings, logger: quietLogger)
        while await service.runOnce(loader: cache) {}

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
}
