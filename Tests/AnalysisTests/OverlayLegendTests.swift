@testable import Analysis
import FluoroboxTestSupport
import Foundation
import Imaging
import Inference
import Logging
import Testing

/// The overlay's burned-in legend on real radiographs: in the box's language, drawn with
/// FreeType in DejaVu Sans; with a font that cannot be used, the overlay is still made, its
/// legend in the built-in Latin capitals in English, and the log says so once.
@Suite("The overlay legend follows the box's language and never costs the overlay")
struct OverlayLegendTests {
    /// A 15-bit computed radiograph of about 2,000 px a side, and a 512 px chest image.
    static let large = TestData.root + "/dicom/radiography/CR_chest_RG1_UNCR_explicitLE_mono1_15bit_reference.dcm"
    static let small = TestData.root + "/chest_xray/other/nih_512px_00000001_000.png"

    static func image(_ path: String) throws -> GrayscaleImage {
        try AnalysisInput(decoding: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).image
    }

    static let findings = [
        AnalysisReport.Finding(id: "nodule", display: "Nodule", probability: 0.82, threshold: 0.5, flaggedForReview: true, peak: nil),
        AnalysisReport.Finding(id: "effusion", display: "Pleural effusion", probability: 0.12, threshold: 0.5, flaggedForReview: false, peak: nil),
    ]
    /// The nodule hot in the right half, the effusion cold.
    static let maps: [[Float]] = [[0, 0.95, 0, 0.9], [0, 0, 0, 0]]

    typealias Overlay = (rgb: [UInt8], width: Int, height: Int)

    static func render(_ image: GrayscaleImage, _ renderer: OverlayRenderer, use: ModelUse = .clinical) -> Overlay {
        renderer.render(image: image, findings: findings, heatMaps: maps, mapWidth: 2, mapHeight: 2, modelUse: use)
    }

    /// How well `text` (its near-full coverage) matches the legend's white ink (all channels
    /// at 200 or more: the radiograph under the legend is darkened to at most 64) at the best
    /// placement within `reach` pixels right and down of the corner: intersection over union.
    static func match(_ text: TextBitmap, in overlay: Overlay, reach: Int) -> Double {
        var best = 0.0
        for dy in 0...reach { for dx in 0...reach {
            var both = 0, either = 0
            for y in 0..<text.height { for x in 0..<text.width {
                let ox = dx + x, oy = dy + y
                guard ox < overlay.width, oy < overlay.height else { continue }
                let i = (oy * overlay.width + ox) * 3
                let ink = overlay.rgb[i] >= 200 && overlay.rgb[i + 1] >= 200 && overlay.rgb[i + 2] >= 200
                let expected = text[x, y] >= 190
                if ink && expected { both += 1 }
                if ink || expected { either += 1 }
            } }
            if either > 0 { best = max(best, Double(both) / Double(either)) }
        } }
        return best
    }

    /// The heading line of `language`'s legend, drawn on its own through the wrapper at the
    /// size the renderer picks for this overlay.
    static func heading(_ language: LegendLanguage, for overlay: Overlay) throws -> TextBitmap {
        let text = OverlayRenderer.legend(findings: [], modelUse: .clinical, language: language)[0].text
        return try FontFace(path: LegendFont.defaultPath).render(text, pixelSize: OverlayRenderer.legendPixelSize(width: overlay.width, height: overlay.height))
    }

    @Test("a Russian box's legend is the Cyrillic heading drawn in DejaVu Sans, not the English one; an English box's the reverse", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func languages() throws {
        let radiograph = try Self.image(Self.large)
        #expect(max(radiograph.width, radiograph.height) >= 1_800, "\(radiograph.width)x\(radiograph.height): meant to be a full-size radiograph")
        let font = LegendFont(logger: quietLogger)
        let russian = Self.render(radiograph, OverlayRenderer(language: .ru, font: font))
        let english = Self.render(radiograph, OverlayRenderer(language: .en, font: font))
        let reach = OverlayRenderer.legendPixelSize(width: russian.width, height: russian.height)
        let ru = try Self.heading(.ru, for: russian), en = try Self.heading(.en, for: english)
        #expect(ru.width > 300, "a heading \(ru.width) px wide on a \(russian.width) px overlay")

        let russianHeading = Self.match(ru, in: russian, reach: reach), englishOnRussian = Self.match(en, in: russian, reach: reach)
        #expect(russianHeading > 0.9, "the Russian heading is not on the Russian overlay: \(russianHeading)")
        #expect(englishOnRussian < 0.5, "the English heading matches the Russian overlay: \(englishOnRussian)")
        let englishHeading = Self.match(en, in: english, reach: reach), russianOnEnglish = Self.match(ru, in: english, reach: reach)
        #expect(englishHeading > 0.9, "the English heading is not on the English overlay: \(englishHeading)")
        #expect(russianOnEnglish < 0.5, "the Russian heading matches the English overlay: \(russianOnEnglish)")

        // Only the legend differs: the radiograph and the heat map outside it are the same.
        let bottomHalf = (russian.height / 2 * russian.width * 3)..<russian.rgb.count
        #expect(russian.rgb[bottomHalf] == english.rgb[bottomHalf])
        // The Russian finding line carries the Russian flag word.
        #expect(OverlayRenderer.legend(findings: Self.findings, modelUse: .clinical, language: .ru)[1].text == "Nodule 82% ОТМЕЧЕНО")
    }

    @Test("a demonstration model's Russian legend warns first, in the warning colour, and marks every finding ДЕМО", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func russianDemonstration() throws {
        let lines = OverlayRenderer.legend(findings: Self.findings, modelUse: .demonstration, language: .ru)
        #expect(lines.prefix(2).allSatisfy { $0.style == .warning } && lines[0].text.hasPrefix("ДЕМОНСТРАЦИОННАЯ МОДЕЛЬ"))
        #expect(lines.filter { if case .finding = $0.style { true } else { false } }.allSatisfy { $0.text.hasSuffix("(ДЕМО)") })
        let radiograph = try Self.image(Self.large)
        let font = LegendFont(logger: quietLogger)
        func warningPixels(_ use: ModelUse) -> Int {
            let overlay = Self.render(radiograph, OverlayRenderer(language: .ru, font: font), use: use)
            let (r, g, b) = OverlayRenderer.demonstrationColour
            return stride(from: 0, to: overlay.rgb.count, by: 3).filter { overlay.rgb[$0] == r && overlay.rgb[$0 + 1] == g && overlay.rgb[$0 + 2] == b }.count
        }
        #expect(warningPixels(.demonstration) > 500)
        #expect(warningPixels(.clinical) == 0)
    }

    @Test("on a 512 px image the legend is smaller but whole: its widest line ends inside the image", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func smallImage() throws {
        let image = try Self.image(Self.small)
        let overlay = Self.render(image, OverlayRenderer(language: .ru, font: LegendFont(logger: quietLogger)))
        let size = OverlayRenderer.legendPixelSize(width: overlay.width, height: overlay.height)
        #expect(size >= 11)
        #expect(Self.match(try Self.heading(.ru, for: overlay), in: overlay, reach: size) > 0.9)
        // The legend's box, widest line and margins included, ends inside the image: nothing was clipped.
        let lines = OverlayRenderer.legend(findings: Self.findings, modelUse: .demonstration, language: .ru)
        let layout = try OverlayRenderer(language: .ru).typesetLegend(lines, face: try FontFace(path: LegendFont.defaultPath), width: overlay.width, height: overlay.height)
        #expect(layout.box.width < overlay.width && layout.texts.allSatisfy { $0.x + $0.bitmap.width < overlay.width })
        #expect(layout.texts[0].bitmap.height == (try FontFace(path: LegendFont.defaultPath).render("Ж", pixelSize: size)).height, "shrunk although it fits")
    }

    @Test("a narrow image shrinks the legend down to its smallest size, and images of a few pixels still get an overlay")
    func narrowImages() throws {
        let font = LegendFont(logger: quietLogger)
        for (width, height) in [(3000, 4), (4, 3000), (1, 1), (1, 5000), (200, 30), (300, 1200)] {
            let image = GrayscaleImage(width: width, height: height, bitsStored: 8, samples: Array(repeating: 100, count: width * height))
            for language in LegendLanguage.allCases {
                let overlay = Self.render(image, OverlayRenderer(language: language, font: font), use: .demonstration)
                #expect(overlay.width >= 1 && overlay.height >= 1 && overlay.rgb.count == overlay.width * overlay.height * 3)
            }
        }
        // 300 px wide: the Russian heading fits at a size below the 1,200 px overlay's usual one.
        let face = try FontFace(path: LegendFont.defaultPath)
        let lines = OverlayRenderer.legend(findings: Self.findings, modelUse: .clinical, language: .ru)
        let layout = try OverlayRenderer(language: .ru, font: font).typesetLegend(lines, face: face, width: 300, height: 1200)
        #expect(layout.box.width <= 300)
        #expect(layout.texts[0].bitmap.height < (try face.render("Ж", pixelSize: OverlayRenderer.legendPixelSize(width: 300, height: 1200))).height)
    }

    @Test("a font file that is missing: the overlay is still made, in the built-in Latin capitals in English, and one warning names the file and the package")
    func missingFont() throws {
        let folder = TemporaryDirectory("legend-font")
        let path = folder.file("DejaVuSans.ttf")
        let log = RecordingLogger()
        let renderer = OverlayRenderer(language: .ru, font: LegendFont(path: path, logger: log.logger))
        let image = GrayscaleImage(width: 900, height: 700, bitsStored: 8, samples: (0..<(900 * 700)).map { UInt16($0 % 251) })
        let fallback = Self.render(image, renderer)
        _ = Self.render(image, renderer)
        // Exactly the English bitmap legend, where there was a legend at all.
        let bitmap = Self.render(image, OverlayRenderer(language: .en, font: nil))
        #expect(fallback.width == 900 && fallback.height == 700)
        #expect(fallback.rgb == bitmap.rgb)
        #expect(fallback.rgb != Self.render(image, OverlayRenderer(language: .en, font: LegendFont(logger: quietLogger))).rgb)
        let warnings = log.entries(at: .warning)
        #expect(warnings.count == 1, "\(warnings.map(\.message))")
        #expect(warnings.first?.metadata["font"] == path && warnings.first?.metadata["package"] == LegendFont.debianPackage)
        #expect(warnings.first?.metadata["reason"]?.contains("No such file") == true, "\(warnings)")
    }

    @Test("a truncated font file: FontError, the overlay in the fallback legend, no crash")
    func truncatedFont() throws {
        let folder = TemporaryDirectory("legend-font")
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: LegendFont.defaultPath)))
        let path = try folder.write("cut.ttf", Array(whole.prefix(whole.count / 3)))
        let log = RecordingLogger()
        let font = LegendFont(path: path, logger: log.logger)
        guard case .failure(let error) = font.face(for: .ru) else {
            Issue.record("a font cut to a third opened")
            return
        }
        #expect(error.code == .damaged, "\(error)")
        let image = GrayscaleImage(width: 640, height: 480, bitsStored: 8, samples: Array(repeating: 90, count: 640 * 480))
        let overlay = Self.render(image, OverlayRenderer(language: .ru, font: font))
        #expect(overlay.rgb == Self.render(image, OverlayRenderer(language: .en, font: nil)).rgb)
        let warnings = log.entries(at: .warning)
        #expect(warnings.count == 1 && warnings.first?.metadata["reason"]?.contains("damaged") == true, "\(warnings.map(\.metadata))")
    }

    @Test("previews of both legends on real radiographs, as the Secondary Capture carries them (build/overlay-previews)", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func previews() throws {
        let folder = TestData.packageRoot + "/build/overlay-previews"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let package = try demoPackage()
        for (name, path) in [("large", Self.large), ("small", Self.small)] {
            let image = try Self.image(path)
            for language in LegendLanguage.allCases {
                let overlay = OverlayRenderer(language: language, font: LegendFont(logger: quietLogger))
                let result = try ImageAnalyzer(package: package, overlay: overlay, logger: quietLogger).analyze(image: image, sourceBytes: [UInt8](name.utf8))
                let jpeg = try #require(result.overlayJPEG)
                let decoded = try JPEGCodec.decodeGray8(jpeg)
                #expect(decoded.width >= 256 && decoded.width <= 1536)
                try Data(jpeg).write(to: URL(fileURLWithPath: "\(folder)/\(name)-\(language.rawValue).jpg"))
            }
        }
    }
}
