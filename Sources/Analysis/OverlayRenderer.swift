import Imaging
import Inference

/// The colour-coded overlay a doctor looks at: the radiograph in grey, each flagged finding's
/// heat map tinted in its colour, and a legend (finding, probability, flagged or not) in the
/// box's language, drawn with FreeType in ``font`` (DejaVu Sans on a box).
public struct OverlayRenderer: Sendable {
    /// Colours per finding, in label order: red, amber, cyan, then violet and green.
    public static let palette: [(UInt8, UInt8, UInt8)] = [(230, 40, 40), (245, 170, 20), (30, 200, 230), (170, 80, 230), (60, 200, 90)]

    /// The legend's language: the box's (``LegendLanguage``).
    public let language: LegendLanguage
    /// The font the legend is drawn in; nil, or one that cannot be used, draws it with
    /// ``BitmapFont`` in English.
    public let font: LegendFont?

    public init(language: LegendLanguage = .en, font: LegendFont? = nil) {
        self.language = language
        self.font = font
    }

    /// The English legend's first lines for a demonstration model, drawn in ``demonstrationColour``.
    public static let demonstrationLines = legendText(.en).demonstration
    public static let demonstrationColour: (UInt8, UInt8, UInt8) = (255, 80, 80)

    /// `heatMaps`: one coarse map per finding (row-major, `mapWidth` × `mapHeight`, 0…1).
    /// A demonstration model's legend says so first and marks every finding DEMO.
    public func render(
        image: GrayscaleImage, findings: [AnalysisReport.Finding], heatMaps: [[Float]], mapWidth: Int, mapHeight: Int,
        modelUse: ModelUse = .demonstration, maximumSide: Int = 1536
    ) -> (rgb: [UInt8], width: Int, height: Int) {
        let factor = max(1, (max(image.width, image.height) + maximumSide - 1) / maximumSide)
        // At least one pixel a side: a 1 × 3,000 strip must not become an empty JPEG.
        let width = max(1, image.width / factor), height = max(1, image.height / factor)
        let scale = 255.0 / Double(image.maximumValue)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let grey = UInt8(min(255, Double(image.samples[(y * factor) * image.width + x * factor]) * scale))
                let i = (y * width + x) * 3
                rgb[i] = grey; rgb[i + 1] = grey; rgb[i + 2] = grey
            }
        }
        for (index, finding) in findings.enumerated() where finding.flaggedForReview && index < heatMaps.count {
            let colour = Self.palette[index % Self.palette.count]
            let map = heatMaps[index]
            // A map that does not hold mapWidth × mapHeight values is not drawn rather than read past.
            guard mapWidth > 0, mapHeight > 0, map.count >= mapWidth * mapHeight else { continue }
            for y in 0..<height {
                for x in 0..<width {
                    let heat = Self.bilinear(map, width: mapWidth, height: mapHeight, x: (Double(x) + 0.5) / Double(width), y: (Double(y) + 0.5) / Double(height))
                    let alpha = min(max((heat - 0.35) / 0.65, 0), 1) * 0.6
                    guard alpha > 0 else { continue }
                    let i = (y * width + x) * 3
                    rgb[i] = UInt8(Double(rgb[i]) * (1 - alpha) + Double(colour.0) * alpha)
                    rgb[i + 1] = UInt8(Double(rgb[i + 1]) * (1 - alpha) + Double(colour.1) * alpha)
                    rgb[i + 2] = UInt8(Double(rgb[i + 2]) * (1 - alpha) + Double(colour.2) * alpha)
                }
            }
        }
        drawLegend(&rgb, width: width, height: height, findings: findings, modelUse: modelUse)
        return (rgb, width, height)
    }

    /// Bilinear sample of a coarse map at fractional image coordinates (0…1).
    static func bilinear(_ map: [Float], width: Int, height: Int, x: Double, y: Double) -> Double {
        let fx = min(max(x * Double(width) - 0.5, 0), Double(width - 1))
        let fy = min(max(y * Double(height) - 0.5, 0), Double(height - 1))
        let x0 = Int(fx), y0 = Int(fy)
        let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
        let ax = fx - Double(x0), ay = fy - Double(y0)
        let top = Double(map[y0 * width + x0]) * (1 - ax) + Double(map[y0 * width + x1]) * ax
        let bottom = Double(map[y1 * width + x0]) * (1 - ax) + Double(map[y1 * width + x1]) * ax
        return top * (1 - ay) + bottom * ay
    }
}
