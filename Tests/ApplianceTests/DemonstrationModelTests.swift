import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import GRDB
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

/// The agent with a demonstration model: its stored overlay, the payload the platform gets,
/// `fluorobox status` and `fluorobox studies` all say so; with a clinical model none does.
@Suite("The agent marks a demonstration model's results")
struct DemonstrationModelTests {
    static var settings: AnalysisSettings {
        var settings = AnalysisSettings()
        settings.threads = 1
        settings.isolation = .childProcess(executable: ProcessRunner.fluorobox)
        return settings
    }

    /// The analysis service over `packages`, trusting the demo key and `key`.
    static func service(store: StudyStore, packages: String, key: ModelSigningKey) -> AnalysisService {
        AnalysisService(
            settings: Self.settings, store: store, packagesDirectory: packages,
            packageSettings: ModelPackageSettings(trustedKeys: [.demo, key.publicKey]),
            gate: ReadinessGate(expecting: [AnalysisService.name]), logger: quietLogger
        )
    }

    /// Imports the nodule phantom into a data folder whose packages folder holds the demo model
    /// (or a clinical copy), analyses it, and returns the stored result with its overlay.
    static func analysed(_ folder: TemporaryDirectory, clinical: Bool) async throws -> (store: StudyStore, result: ResultRecord, overlay: DICOMFile, payload: [UInt8]) {
        let data = folder.file("data")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: data), destinations: [.platform]), logger: quietLogger)
        let packages = data + "/models"
        let key = ModelSigningKey()
        if clinical {
            try await DemoModel.installClinical(into: packages, key: key, scratch: folder.file("clinical-copy"))
        } else {
            try await DemoModel.install(into: packages)
        }
        let image = try DemoModel.raster("nodule-source.npy")
        let bytes = try USBCaptureDocument.part10(
            image: image, framesIntegrated: 1, sopInstanceUID: DICOMUID.random(), capturedAt: Date(),
            device: .init(manufacturer: nil, model: nil, serialNumber: nil, description: "test", stationName: nil),
            registration: nil, modality: "DX"
        )
        let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, analyses: [DemoModel.task])) { try ContentDescriber.describe($0) }
        let service = Self.service(store: store, packages: packages, key: key)
        let cache = AnalyzerCache(settings: Self.settings, logger: quietLogger)
        #expect(await service.runOnce(loader: cache))
        let result = try #require(try store.results(forInstance: receipt.instanceID).first)
        let overlayID = try #require(result.overlayInstanceID)
        let overlay = try #require(try await store.database.read { try InstanceRecord.fetchOne($0, key: overlayID) })
        let file = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: store.directory.absolute(overlay.blobPath)))))
        // What the platform destination would PUT: the result item's payload.
        var payload: [UInt8] = []
        while let claim = try store.claimNextOutboxItem(destination: .platform, kinds: [.result]) {
            if case .document(let body) = claim.payload, claim.item.resultID == result.id { payload = body }
        }
        return (store, result, file, payload)
    }

    @Test("a demonstration model's result: report, overlay Secondary Capture and the platform payload carry the use")
    func demonstrationResult() async throws {
        let folder = TemporaryDirectory("demo-result")
        let (_, result, overlay, payload) = try await Self.analysed(folder, clinical: false)
        let report = try JSONDecoder.iso8601.decode(AnalysisReport.self, from: Data(result.report.utf8))
        #expect(report.model.use == .demonstration && report.findings.allSatisfy { $0.modelUse == .demonstration })
        #expect(overlay.dataSet.string(.seriesDescription) == OverlaySecondaryCapture.demonstrationSeriesDescription)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect((sent["model"] as? [String: Any])?["use"] as? String == "demonstration")
        #expect((sent["findings"] as? [[String: Any]])?.allSatisfy { $0["modelUse"] as? String == "demonstration" } == true)
    }

    @Test("a clinical model's result is marked clinical and its overlay keeps the usual description")
    func clinicalResult() async throws {
        let folder = TemporaryDirectory("clinical-result")
        let (_, result, overlay, payload) = try await Self.analysed(folder, clinical: true)
        let report = try JSONDecoder.iso8601.decode(AnalysisReport.self, from: Data(result.report.utf8))
        #expect(report.model.use == .clinical && report.model.version == DemoModel.clinicalVersion)
        #expect(overlay.dataSet.string(.seriesDescription) == OverlaySecondaryCapture.seriesDescription)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect((sent["model"] as? [String: Any])?["use"] as? String == "clinical")
    }

    @Test("fluorobox status and studies say a demonstration model is active and mark its results; with a clinical model they do not")
    func commands() async throws {
        let folder = TemporaryDirectory("demo-commands")
        _ = try await Self.analysed(folder, clinical: false)
        let data = folder.file("data")
        let trust = ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"]
        let status = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", data], environment: trust)
        #expect(status.stdout.contains("Models:     chest-findings: chest-phantom-demo@2.0.1 [DEMONSTRATION]"), "\(status.stdout)")
        #expect(status.stdout.contains("DEMONSTRATION MODEL ACTIVE: its findings on real radiographs mean nothing"))
        let json = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", data, "--json"], environment: trust)
        struct Status: Decodable { var modelUses: [ActiveModelUse]? }
        let parsed = try JSONDecoder().decode(Status.self, from: Data(json.stdout.utf8))
        #expect(parsed.modelUses == [ActiveModelUse(task: "chest-findings", package: .init(id: "chest-phantom-demo", version: "2.0.1"), use: .demonstration)])

        let studies = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--data-dir", data])
        #expect(studies.stdout.contains("DEMONSTRATION MODEL: findings mean nothing"), "\(studies.stdout)")
        let worklist = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--worklist", "--data-dir", data])
        #expect(worklist.stdout.hasPrefix("DEMO,FLAGGED"), "\(worklist.stdout)")
        #expect(worklist.stdout.contains("DEMO: read by a demonstration model; its findings on real radiographs mean nothing"))
        let listed = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--json", "--data-dir", data])
        #expect(listed.stdout.contains("\"demonstrationModel\" : true"), "\(listed.stdout)")

        let other = TemporaryDirectory("clinical-commands")
        _ = try await Self.analysed(other, clinical: true)
        let clinicalData = other.file("data")
        let clinicalStatus = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", clinicalData])
        #expect(clinicalStatus.stdout.contains("Models:     chest-findings: chest-phantom-demo@\(DemoModel.clinicalVersion)"), "\(clinicalStatus.stdout)")
        #expect(!clinicalStatus.stdout.contains("DEMONSTRATION"))
        let clinicalStudies = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--data-dir", clinicalData])
        let clinicalWorklist = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--worklist", "--data-dir", clinicalData])
        #expect(!clinicalStudies.stdout.contains("DEMONSTRATION") && !clinicalWorklist.stdout.contains("DEMO"), "\(clinicalWorklist.stdout)")
        #expect(clinicalWorklist.stdout.hasPrefix("FLAGGED"))
    }
}
