import Imaging
import Inference

/// The colour-coded overlay a doctor looks at: the radiograph in grey, each flagged finding's
/// heat map tinted in its colour, and a legend (finding, probability, flagged or not).
public struct OverlayRenderer: Sendable {
    /// Colours per finding, in label order: red, amber, cyan, then violet and green.
    public static let palette: [(UInt8, UInt8, UInt8)] = [(230, 40, 40), (245, 170, 20), (30, 200, 230), (170, 80, 230), (60, 200, 90)]

    public init() {}

    /// The legend's first lines for a demonstration model, drawn in ``demonstrationColour``.
    public static let demonstrationLines = ["DEMONSTRATION MODEL - NOT FOR CLINICAL USE", "FINDINGS MEAN NOTHING ON REAL RADIOGRAPHS"]
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
        drawLegend(&rgb, width: width, height: height, lines: Self.legend(findings: findings, modelUse: modelUse))
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

    /// One line of the burned-in legend: its text, and the colour of its swatch (findings) or
    /// of its text (the demonstration warning).
    public struct LegendLine: Sendable, Hashable {
        public enum Style: Sendable, Hashable { case heading, warning, finding(index: Int) }
        public var text: String
        public var style: Style
    }

    /// The legend's lines, top to bottom.
    public static func legend(findings: [AnalysisReport.Finding], modelUse: ModelUse) -> [LegendLine] {
        let demonstration = modelUse == .demonstration
        var lines = demonstration ? demonstrationLines.map { LegendLine(text: $0, style: .warning) } : []
        lines.append(LegendLine(text: "FLAGGED FOR REVIEW - NOT A DIAGNOSIS", style: .heading))
        for (index, finding) in findings.enumerated() {
            // Clamped: a probability is 0…1, and Int() of a NaN or infinity would trap.
            let percent = finding.probability.isFinite ? Int((min(max(finding.probability, 0), 1) * 100).rounded()) : 0
            let text = "\(finding.display) \(percent)%" + (finding.flaggedForReview ? " FLAGGED" : "") + (demonstration ? " (DEMO)" : "")
            lines.append(LegendLine(text: text, style: .finding(index: index)))
        }
        return lines
    }

    private func drawLegend(_ rgb: inout [UInt8], width: Int, height: Int, lines legend: [LegendLine]) {
        let pixel = max(2, width / 320)
        let lineHeight = (BitmapFont.height + 3) * pixel
        let lines: [(text: String, colour: (UInt8, UInt8, UInt8)?, ink: (UInt8, UInt8, UInt8))] = legend.map { line in
            switch line.style {
            case .heading: (line.text, nil, (255, 255, 255))
            case .warning: (line.text, nil, Self.demonstrationColour)
            case .finding(let index): (line.text, Self.palette[index % Self.palette.count], (255, 255, 255))
            }
        }
        let boxWidth = min(width, (lines.map(\.text.count).max() ?? 0) * (BitmapFont.width + 1) * pixel + 6 * pixel + 4 * pixel)
        let boxHeight = min(height, lines.count * lineHeight + 2 * pixel)
        for y in 0..<boxHeight { for x in 0..<boxWidth {
            let i = (y * width + x) * 3
            for c in 0..<3 { rgb[i + c] = UInt8(Double(rgb[i + c]) * 0.25) }
        } }
        for (row, line) in lines.enumerated() {
            let top = pixel + row * lineHeight
            var left = pixel
            if let colour = line.colour {
                fill(&rgb, width: width, height: height, x: left, y: top, w: 4 * pixel, h: BitmapFont.height * pixel, colour: colour)
                left += 6 * pixel
            }
            for character in line.text {
                for gy in 0..<BitmapFont.height { for gx in 0..<BitmapFont.width where BitmapFont.isSet(character, x: gx, y: gy) {
                    fill(&rgb, width: width, height: height, x: left + gx * pixel, y: top + gy * pixel, w: pixel, h: pixel, colour: line.ink)
                } }
                left += (BitmapFont.width + 1) * pixel
            }
        }
    }

    private func fill(_ rgb: inout [UInt8], width: Int, height: Int, x: Int, y: Int, w: Int, h: Int, colour: (UInt8, UInt8, UInt8)) {
        // The legend can run past a short or narrow image: clip, and draw nothing when wholly outside.
        let top = max(0, y), bottom = min(height, y + h), left = max(0, x), right = min(width, x + w)
        guard top < bottom, left < right else { return }
        for yy in top..<bottom { for xx in left..<right {
            let i = (yy * width + xx) * 3
            rgb[i] = colour.0; rgb[i + 1] = colour.1; rgb[i + 2] = colour.2
        } }
    }
}
