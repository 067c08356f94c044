@testable import Analysis
import FluoroboxTestSupport
import Foundation
import Imaging
import Testing

/// What the agent does with a stored object (AnalysisInput, then the quality check and the
/// overlay) over the whole hostile regression corpus: an image or an unreadable-image error,
/// never a trap that would kill the agent after the C-STORE was acknowledged.
@Suite("Hostile files end as unreadable images, never a trap in the analysis")
struct HostileAnalysisTests {
    static let folder = TestData.packageRoot + "/Fuzz/Corpus/regression"

    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()

    @Test("the regression corpus is there")
    func corpusPresent() {
        #expect(Self.names.count > 40)
    }

    @Test("every hostile file decodes for analysis or ends in an unreadable-image error", .timeLimit(.minutes(1)), arguments: names)
    func hostile(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + name)))
        do {
            let input = try AnalysisInput(decoding: bytes)
            _ = QualityCheck().evaluate(input.image)
            _ = OverlayRenderer().render(image: input.image, findings: [], heatMaps: [], mapWidth: 1, mapHeight: 1)
        } catch {
            #expect(error.isUnreadableImage, "\(error)")
        }
    }

    @Test("the overlay clips its legend on images too short or narrow for it, and skips a short heat map")
    func thinImages() {
        let findings = (0..<5).map { index in
            AnalysisReport.Finding(id: "f\(index)", display: "FINDING \(index)", probability: 0.9, threshold: 0.5, flaggedForReview: true, peak: nil)
        }
        for (width, height) in [(3000, 4), (4, 3000), (1, 1), (1, 5000), (200, 30)] {
            let image = GrayscaleImage(width: width, height: height, bitsStored: 8, samples: Array(repeating: 100, count: width * height))
            let overlay = OverlayRenderer().render(image: image, findings: findings, heatMaps: [[0.9]], mapWidth: 2, mapHeight: 2)
            #expect(overlay.width >= 1 && overlay.height >= 1 && overlay.rgb.count == overlay.width * overlay.height * 3)
        }
    }
}
