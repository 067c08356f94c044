import Analysis
import FluoroboxTestSupport
import Foundation
import Imaging
import Inference
import Testing

/// The findings' names in the overlay's legend come from the package's manifest in the box's
/// language (`localizedDisplay`), in English when the package gives none: no more "Nodule 82%
/// ОТМЕЧЕНО" on a Russian box whose package names its findings in Russian.
@Suite("The legend names findings in the box's language when the package does")
struct OverlayFindingNameTests {
    /// A copy of the demo package without its Russian names, signed with a test key.
    static func withoutRussianNames(in folder: TemporaryDirectory) throws -> VerifiedModelPackage {
        let copy = folder.file("english-only")
        try FileManager.default.copyItem(atPath: DemoModel.path, toPath: copy)
        let manifestPath = copy + "/manifest.json"
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
        var outputs = try #require(manifest["outputs"] as? [String: Any]), findings = try #require(outputs["findings"] as? [String: Any])
        let labels = try #require(findings["labels"] as? [[String: Any]])
        findings["labels"] = labels.map { $0.filter { $0.key != "localizedDisplay" } }
        outputs["findings"] = findings
        manifest["outputs"] = outputs
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: manifestPath))
        return try ModelPackageSigner.sign(directory: copy, with: try ModelSigningKey(seed: Data(repeating: 5, count: 32)))
    }

    static func analyse(_ package: VerifiedModelPackage, _ language: LegendLanguage) throws -> ImageAnalyzer.Result {
        let renderer = OverlayRenderer(language: language, font: LegendFont(logger: quietLogger))
        return try ImageAnalyzer(package: package, overlay: renderer, logger: quietLogger).analyze(image: try DemoModel.raster("nodule-source.npy"), sourceBytes: [])
    }

    static func findingLines(_ result: ImageAnalyzer.Result, _ language: LegendLanguage) -> [String] {
        OverlayRenderer.legend(findings: result.report.findings, modelUse: result.report.modelUse, language: language).compactMap {
            if case .finding = $0.style { $0.text } else { nil }
        }
    }

    @Test("the demo package's Russian names are in a Russian box's report and legend, drawn; an English legend and a package without them keep the English names")
    func russianNames() throws {
        let named = try ModelPackageVerifier(trustedKeys: [.demo]).verify(directory: DemoModel.path)
        #expect(named.manifest.outputs.findings.labels.map { $0.localizedDisplay?["ru"] } == ["Очаг", "Консолидация", "Плевральный выпот"])
        let folder = TemporaryDirectory("overlay-finding-names")
        let englishOnly = try Self.withoutRussianNames(in: folder)

        let russian = try Self.analyse(named, .ru)
        #expect(russian.report.findings.map { $0.display(in: "ru") } == ["Очаг", "Консолидация", "Плевральный выпот"])
        let russianLines = Self.findingLines(russian, .ru)
        #expect(russianLines.count == 3 && russianLines[0].hasPrefix("Очаг ") && russianLines[2].hasPrefix("Плевральный выпот "), "\(russianLines)")
        #expect(russianLines.allSatisfy { $0.hasSuffix("(ДЕМО)") })
        #expect(Self.findingLines(russian, .en).first?.hasPrefix("Nodule ") == true)
        let fallback = try Self.analyse(englishOnly, .ru)
        #expect(Self.findingLines(fallback, .ru).first?.hasPrefix("Nodule ") == true, "\(Self.findingLines(fallback, .ru))")

        // Drawn, not only listed: the Russian overlays differ by the names in the legend's
        // corner, and nowhere else; the English ones are the same image.
        let withNames = try JPEGCodec.decodeGray8(try #require(russian.overlayJPEG))
        let withoutNames = try JPEGCodec.decodeGray8(try #require(fallback.overlayJPEG))
        var corner = 0, elsewhere = 0
        for y in 0..<withNames.height { for x in 0..<withNames.width {
            let difference = abs(Int(withNames.samples[y * withNames.width + x]) - Int(withoutNames.samples[y * withoutNames.width + x]))
            if y < withNames.height / 2 && x < withNames.width * 3 / 4 { corner += difference } else { elsewhere += difference }
        } }
        #expect(corner > 1_000 && elsewhere < corner / 20, "difference in the legend's corner \(corner), elsewhere \(elsewhere)")
        #expect(try Self.analyse(named, .en).overlayJPEG == (try Self.analyse(englishOnly, .en).overlayJPEG))
    }
}
