import Analysis
import Appliance
import DICOM
import FluoroboxTestSupport
import Foundation
import Imaging
import Inference
import Testing

let demoPackagePath = DemoModel.path

func demoPackage() throws -> VerifiedModelPackage {
    try ModelPackageVerifier(trustedKeys: [.demo]).verify(directory: demoPackagePath)
}

@Suite("Pre-processing, quality checks and the analysis of an image")
struct AnalysisTests {
    @Test("pre-processing a raster reproduces the package's reference input (tools/model/preprocess.py)")
    func preprocessing() throws {
        let package = try demoPackage()
        let source = try DemoModel.raster("nodule-source.npy")
        let tensor = try ModelInputPreprocessor(spec: package.manifest.input).tensor(from: source)
        let expected = try NumpyFile.readTensor(demoPackagePath + "/reference/nodule-input.npy")
        #expect(tensor.shape == expected.shape)
        let difference = zip(tensor.values, expected.values).map { abs($0 - $1) }.max() ?? 1
        #expect(difference < 1e-4, "max |difference| \(difference)")
    }

    /// The chest radiographs of the shared test data, as the box displays them.
    static func chestRadiographs() throws -> [(String, GrayscaleImage)] {
        try TestData.files(under: "dicom").filter {
            let name = URL(fileURLWithPath: $0).lastPathComponent
            return name.contains("chest") && !name.contains("fake_MONOCHROME1")
        }.compactMap { path in
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            guard let file = try? DICOMFile(bytes: bytes), let image = try? DICOMImage(file: file, frames: [0]) else { return nil }
            return (URL(fileURLWithPath: path).lastPathComponent, image.presentation(frame: 0, outputBits: 16))
        }
    }

    /// The verdicts on one radiograph and on four damaged copies of it.
    struct DamageVerdicts: Sendable {
        var name: String
        var original, blank, saturated, inverted, cut: QualityVerdict
    }

    @Test("real chest radiographs pass; blanked, saturated, inverted and cut-off versions of them are caught", .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)))
    func quality() async throws {
        let results = try await cpuWork { () throws -> [DamageVerdicts] in
            let check = QualityCheck(isChest: true)
            return try Self.chestRadiographs().map { name, image in
                let top = image.maximumValue
                var blank = image
                blank.samples = [UInt16](repeating: top / 3, count: image.samples.count)
                var saturated = image
                saturated.samples = image.samples.map { UInt16(min(Double(top), Double($0) * 3)) }
                var inverted = image
                inverted.samples = image.samples.map { top - $0 }
                var cut = image
                let keep = image.height * 6 / 10
                for index in (keep * image.width)..<cut.samples.count { cut.samples[index] = 0 }
                return DamageVerdicts(
                    name: name, original: check.evaluate(image), blank: check.evaluate(blank),
                    saturated: check.evaluate(saturated), inverted: check.evaluate(inverted), cut: check.evaluate(cut)
                )
            }
        }
        #expect(results.count >= 6)
        for result in results {
            let name = result.name
            #expect(result.original.isAcceptable, "\(name): \(result.original.problems) \(result.original.measurements)")
            #expect(result.blank.problems == [.blank], "\(name) blanked")
            #expect(result.saturated.problems.contains(.saturated), "\(name) saturated: \(result.saturated.measurements)")
            #expect(result.inverted.problems.contains(.invertedPolarity), "\(name) inverted")
            #expect(result.cut.problems.contains(.cutOff), "\(name) cut off")
        }
    }

    @Test("a file stored with the wrong polarity (MONOCHROME1 label on a MONOCHROME2 image) is caught", .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)))
    func wrongPolarityFile() throws {
        let path = try #require(TestData.files(under: "dicom").first { $0.hasSuffix("CR_chest_SIIM_fake_MONOCHROME1.dcm") })
        let image = try DICOMImage(file: try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))), frames: [0])
        #expect(QualityCheck().evaluate(image.presentation(frame: 0, outputBits: 16)).problems.contains(.invertedPolarity))
    }

    @Test("the nodule phantom is flagged for review; report and overlay are written; a blank image is skipped with advice")
    func analyseNodule() throws {
        let analyzer = try ImageAnalyzer(package: try demoPackage(), logger: quietLogger)
        let source = try DemoModel.raster("nodule-source.npy")
        let result = try analyzer.analyze(image: source, sourceBytes: source.littleEndianBytes, file: "nodule")
        let report = result.report
        #expect(report.status == .analysed && report.schemaVersion == 1)
        #expect(report.findings.map(\.id) == ["nodule", "consolidation", "effusion"])
        #expect(report.flagged.map(\.id).contains("nodule"), "\(report.findings)")
        #expect(report.summary.hasPrefix("Flagged for review: Nodule"))
        #expect(report.notice.contains("not a diagnosis"))
        #expect(report.model.id == "chest-phantom-demo" && report.model.packageSHA256.count == 64)
        let overlay = try #require(result.overlayJPEG)
        #expect(overlay.starts(with: [0xFF, 0xD8, 0xFF]))
        // The overlay is colour: a grey decode of it has the image's size.
        let decoded = try JPEGCodec.decodeGray8(overlay)
        #expect(decoded.width == source.width && decoded.height == source.height)
        let json = try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any]
        #expect(json?["schemaVersion"] as? Int == 1)

        var blank = source
        blank.samples = [UInt16](repeating: 1000, count: source.samples.count)
        let skipped = try analyzer.analyze(image: blank, sourceBytes: blank.littleEndianBytes)
        #expect(skipped.report.status == .skipped && skipped.report.findings.isEmpty && skipped.overlayJPEG == nil)
        #expect(skipped.report.quality.problems.map(\.code) == ["blank"])
        #expect(skipped.report.quality.problems.first?.adviceRU.isEmpty == false)
    }

    @Test("fluorobox analyze reads a DICOM file, writes report and overlay, and fails clearly on what it cannot read")
    func command() async throws {
        let folder = TemporaryDirectory("analyze")
        let study = try folder.write("demo.dcm", try DemoStudy.makePart10(seed: 3, size: 512))
        let junk = try folder.write("junk.dcm", Array("not an image".utf8))
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, [
            "analyze", "--package", demoPackagePath, "--out-dir", folder.file("out"), study,
        ], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("quality: acceptable"), "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder.file("out/demo.dcm.overlay.jpg")))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("out/demo.dcm.report.json")))) as? [String: Any]
        #expect((report?["source"] as? [String: Any])?["sopInstanceUID"] as? String != nil)
        let failed = try await ProcessRunner.run(ProcessRunner.fluorobox, ["analyze", "--package", demoPackagePath, junk, "--out-dir", folder.file("out")], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(failed.status == 1 && failed.stderr.contains("FAILED"), "\(failed.stderr)")
        let untrusted = try await ProcessRunner.run(ProcessRunner.fluorobox, ["analyze", "--package", folder.path, study])
        #expect(untrusted.status != 0 && untrusted.stderr.contains("cannot use the model package"), "\(untrusted.stderr)")
    }

    @Test("an odd-length overlay JPEG comes back out of its Secondary Capture ending at EOI, without the fragment's pad byte")
    func overlayJPEGPadByte() throws {
        for codestream in [[0xFF, 0xD8, 0x01, 0xFF, 0xD9], [0xFF, 0xD8, 0x01, 0x02, 0xFF, 0xD9]] as [[UInt8]] {
            var writer = Part10Writer()
            writer.set(.sopClassUID, .UI, OverlaySecondaryCapture.sopClassUID)
            writer.set(.sopInstanceUID, .UI, "1.2.3.4.\(codestream.count)")
            writer.setEncapsulatedPixelData([codestream], transferSyntax: .jpegBaseline)
            let part10 = try writer.part10Bytes()
            #expect(OverlaySecondaryCapture.overlayJPEG(fromPart10: part10) == codestream, "\(codestream.count) bytes")
        }
    }
}
