import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import GRDB
import Imaging
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

/// The box's `language` reaches the overlay the agent stores: through the configuration, the
/// analysis settings and the worker process's request, into the Secondary Capture's pixels.
@Suite("The stored overlay's legend is in the box's language")
struct OverlayLanguageTests {
    @Test("`language` reads en or ru and refuses anything else, naming the key")
    func key() throws {
        #expect(try ApplianceConfiguration.load(file: nil, environment: [:]).configuration.language == .en)
        #expect(try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_LANGUAGE": "RU"]).configuration.language == .ru)
        #expect(throws: ConfigurationError.self) { try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_LANGUAGE": "de"]) }
        do {
            _ = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_LANGUAGE": "de"])
        } catch {
            #expect("\(error)".contains("language") && "\(error)".contains("\"de\""), "\(error)")
        }
    }

    @Test("a Russian box's worker draws the Russian legend into the stored Secondary Capture; the English one differs")
    func storedOverlay() async throws {
        let ru = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_LANGUAGE": "ru"]).configuration
        let fixture = try await AnalysisServiceTests.Fixture(name: "overlay-language", configuration: ru)
        let source = try DemoModel.raster("nodule-source.npy")
        let receipt = try await fixture.ingest(source)
        #expect(await fixture.drain() == 1)
        let result = try #require(try fixture.read { try ResultRecord.filter(ResultRecord.Columns.instanceID == receipt.instanceID).fetchOne($0) })
        let overlayID = try #require(result.overlayInstanceID)
        let overlay = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: overlayID) })
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.store.directory.absolute(overlay.blobPath))))
        let stored = try #require(OverlaySecondaryCapture.overlayJPEG(fromPart10: bytes))

        // The same stored image and model in this process, once per language.
        let sourceRecord = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: receipt.instanceID) })
        let sourceBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.store.directory.absolute(sourceRecord.blobPath))))
        let image = try AnalysisInput(decoding: sourceBytes).image
        let package = try ModelPackageVerifier(trustedKeys: [.demo]).verify(directory: DemoModel.path)
        func overlayJPEG(_ language: LegendLanguage) throws -> [UInt8] {
            let renderer = OverlayRenderer(language: language, font: LegendFont(logger: quietLogger))
            return try #require(try ImageAnalyzer(package: package, overlay: renderer, logger: quietLogger).analyze(image: image, sourceBytes: sourceBytes).overlayJPEG)
        }
        let russian = try JPEGCodec.decodeGray8(try overlayJPEG(.ru)), english = try JPEGCodec.decodeGray8(try overlayJPEG(.en))
        let decoded = try JPEGCodec.decodeGray8(stored)
        #expect(decoded.width == russian.width && decoded.height == russian.height)
        // The legend's corner (the top fifth, left half): the worker's is the Russian one.
        func difference(_ other: GrayscaleImage) -> Double {
            var total = 0, count = 0
            for y in 0..<decoded.height / 5 { for x in 0..<decoded.width / 2 {
                total += abs(Int(decoded.samples[y * decoded.width + x]) - Int(other.samples[y * other.width + x]))
                count += 1
            } }
            return Double(total) / Double(max(1, count))
        }
        let toRussian = difference(russian), toEnglish = difference(english)
        #expect(toRussian < 1 && toEnglish > 5 * max(toRussian, 1), "mean difference to the Russian legend \(toRussian), to the English \(toEnglish)")
    }
}
