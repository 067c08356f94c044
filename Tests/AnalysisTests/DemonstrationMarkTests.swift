import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import Imaging
import Inference
import Testing

/// A demonstration model's result says so in the report (beside every finding), in the
/// overlay's burned-in legend and in the Secondary Capture's series description; a clinical
/// model's result does not.
@Suite("Analysis marks a demonstration model's results")
struct DemonstrationMarkTests {
    static func clinicalPackage(_ folder: TemporaryDirectory) throws -> VerifiedModelPackage {
        try DemoModel.clinicalCopy(in: folder.file("clinical"), key: ModelSigningKey())
    }

    static func analyse(_ package: VerifiedModelPackage) throws -> ImageAnalyzer.Result {
        let analyzer = try ImageAnalyzer(package: package, logger: quietLogger)
        let source = try DemoModel.raster("nodule-source.npy")
        return try analyzer.analyze(image: source, sourceBytes: source.littleEndianBytes, file: "nodule")
    }

    @Test("the demo model's report states its use in the model and beside every finding, with the demonstration notice; a clinical one says clinical")
    func report() throws {
        let demo = try Self.analyse(try demoPackage()).report
        #expect(demo.model.use == .demonstration && demo.isDemonstration)
        #expect(!demo.findings.isEmpty && demo.findings.allSatisfy { $0.modelUse == .demonstration }, "\(demo.findings)")
        #expect(demo.notice.hasPrefix(AnalysisReport.demonstrationNotice) && demo.notice.contains("not a diagnosis"))
        let json = try #require(try JSONSerialization.jsonObject(with: try demo.json()) as? [String: Any])
        #expect((json["model"] as? [String: Any])?["use"] as? String == "demonstration")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.allSatisfy { $0["modelUse"] as? String == "demonstration" }, "\(findings)")

        let folder = TemporaryDirectory("analysis-clinical")
        let clinical = try Self.analyse(try Self.clinicalPackage(folder)).report
        #expect(clinical.model.use == .clinical && !clinical.isDemonstration)
        #expect(clinical.findings.allSatisfy { $0.modelUse == .clinical })
        #expect(clinical.notice == AnalysisReport.notice)
        // The same model: only the stated use differs.
        #expect(clinical.findings.map(\.probability) == demo.findings.map(\.probability))
    }

    @Test("a report written before the use was recorded reads as a demonstration model's")
    func olderReport() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: try Self.analyse(try demoPackage()).report.json()) as? [String: Any])
        var model = try #require(json["model"] as? [String: Any])
        model["use"] = nil
        json["model"] = model
        json["findings"] = (json["findings"] as? [[String: Any]])?.map { finding in finding.filter { $0.key != "modelUse" } }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let old = try decoder.decode(AnalysisReport.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.model.use == nil && old.modelUse == .demonstration && old.isDemonstration)
    }

    @Test("the burned-in legend of a demonstration model warns first and marks every finding DEMO, in the warning colour; a clinical legend does neither")
    func legend() throws {
        let findings = try Self.analyse(try demoPackage()).report.findings
        let demo = OverlayRenderer.legend(findings: findings, modelUse: .demonstration)
        #expect(demo.prefix(2).map(\.text) == OverlayRenderer.demonstrationLines)
        #expect(demo.filter { if case .finding = $0.style { true } else { false } }.allSatisfy { $0.text.hasSuffix("(DEMO)") })
        let clinical = OverlayRenderer.legend(findings: findings, modelUse: .clinical)
        #expect(clinical.first?.text == "FLAGGED FOR REVIEW - NOT A DIAGNOSIS" && !clinical.contains { $0.text.contains("DEMO") })

        // The warning is drawn: pixels in its colour appear only on the demonstration overlay.
        let image = try DemoModel.raster("nodule-source.npy")
        let maps = findings.map { _ in [Float](repeating: 0, count: 4) }
        func warningPixels(_ use: ModelUse) -> Int {
            let rendered = OverlayRenderer().render(image: image, findings: findings, heatMaps: maps, mapWidth: 2, mapHeight: 2, modelUse: use)
            let (r, g, b) = OverlayRenderer.demonstrationColour
            return stride(from: 0, to: rendered.rgb.count, by: 3).filter { rendered.rgb[$0] == r && rendered.rgb[$0 + 1] == g && rendered.rgb[$0 + 2] == b }.count
        }
        #expect(warningPixels(.demonstration) > 100)
        #expect(warningPixels(.clinical) == 0)
    }

    @Test("the overlay Secondary Capture of a demonstration model says so in its Series Description and comments; a clinical one keeps the usual description")
    func secondaryCapture() throws {
        let subject = OverlaySecondaryCapture.Subject(studyInstanceUID: "1.2.3.4", sourceSOPInstanceUID: "1.2.3.4.5")
        func capture(_ result: ImageAnalyzer.Result) throws -> DICOMFile {
            let overlay = try #require(result.overlayJPEG)
            let sc = try OverlaySecondaryCapture(
                overlayJPEG: overlay, width: result.report.source.width, height: result.report.source.height,
                subject: subject, report: result.report, softwareVersion: "test"
            )
            return try DICOMFile(bytes: sc.part10)
        }
        let demo = try capture(try Self.analyse(try demoPackage()))
        #expect(OverlaySecondaryCapture.demonstrationSeriesDescription.count <= 64)
        #expect(demo.dataSet.string(.seriesDescription) == OverlaySecondaryCapture.demonstrationSeriesDescription)
        #expect(demo.dataSet.string(Tag(0x0020, 0x4000))?.hasPrefix(AnalysisReport.demonstrationNotice) == true)
        #expect(demo.dataSet.string(Tag(0x0008, 0x2111))?.contains("demonstration model") == true)

        let folder = TemporaryDirectory("sc-clinical")
        let clinical = try capture(try Self.analyse(try Self.clinicalPackage(folder)))
        #expect(clinical.dataSet.string(.seriesDescription) == OverlaySecondaryCapture.seriesDescription)
        #expect(clinical.dataSet.string(Tag(0x0020, 0x4000))?.contains("Demonstration") == false)
    }
}
