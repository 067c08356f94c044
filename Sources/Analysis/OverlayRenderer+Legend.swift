import Imaging
import Inference

/// The burned-in legend: its lines, and drawing them on a darkened box in the top left corner,
/// with FreeType when the font can be used, else with ``BitmapFont``.
extension OverlayRenderer {
    /// One line of the burned-in legend: its text, and the colour of its swatch (findings) or
    /// of its text (the demonstration warning).
    public struct LegendLine: Sendable, Hashable {
        public enum Style: Sendable, Hashable { case heading, warning, finding(index: Int) }
        public var text: String
        public var style: Style
    }

    /// The legend's lines in `language`, top to bottom. The findings' names are the model
    /// manifest's: its name in `language` when it gives one (`localizedDisplay`), else `display`.
    public static func legend(findings: [AnalysisReport.Finding], modelUse: ModelUse, language: LegendLanguage = .en) -> [LegendLine] {
        let words = legendText(language)
        let demonstration = modelUse == .demonstration
        var lines = demonstration ? words.demonstration.map { LegendLine(text: $0, style: .warning) } : []
        lines.append(LegendLine(text: words.heading, style: .heading))
        for (index, finding) in findings.enumerated() {
            // Clamped: a probability is 0…1, and Int() of a NaN or infinity would trap.
            let percent = finding.probability.isFinite ? Int((min(max(finding.probability, 0), 1) * 100).rounded()) : 0
            let text = "\(finding.display(in: language.rawValue)) \(percent)%" + (finding.flaggedForReview ? " " + words.flagged : "") + (demonstration ? " " + words.demonstrationMark : "")
            lines.append(LegendLine(text: text, style: .finding(index: index)))
        }
        return lines
    }

    /// The pixels per em of the legend on an overlay of this size before it is fitted to the
    /// width: about a 55th of the longer side, so it reads alike on a 3,000 px radiograph and a
    /// small image once a viewer fits either to its screen.
    static func legendPixelSize(width: Int, height: Int) -> Int {
        min(64, max(11, max(width, height) / 55))
    }

    /// The smallest size the legend shrinks to on a narrow image (then it is clipped).
    static let smallestLegendPixelSize = 8

    func drawLegend(_ rgb: inout [UInt8], width: Int, height: Int, findings: [AnalysisReport.Finding], modelUse: ModelUse) {
        if let font, let face = font.usableFace(for: language) {
            do throws(FontError) {
                let lines = Self.legend(findings: findings, modelUse: modelUse, language: language)
                let drawn = try typesetLegend(lines, face: face, width: width, height: height)
                Self.composite(drawn, onto: &rgb, width: width, height: height)
                return
            } catch {
                // A glyph the file cannot give (a damaged font): the fallback still labels the overlay.
                font.warnOnce(error)
            }
        }
        drawBitmapLegend(&rgb, width: width, height: height, lines: Self.legend(findings: findings, modelUse: modelUse, language: .en))
    }

    /// What the typeset legend puts on the overlay: the box to darken, then each line's text
    /// (coverage, ink, where) and swatch.
    struct TypesetLegend {
        var box: (width: Int, height: Int)
        var texts: [(bitmap: TextBitmap, ink: (UInt8, UInt8, UInt8), x: Int, y: Int)]
        var swatches: [(x: Int, y: Int, side: Int, colour: (UInt8, UInt8, UInt8))]
    }

    /// Lays the lines out at a size for the image, shrunk (down to ``smallestLegendPixelSize``)
    /// until the widest line fits the width.
    func typesetLegend(_ lines: [LegendLine], face: FontFace, width: Int, height: Int) throws(FontError) -> TypesetLegend {
        var size = Self.legendPixelSize(width: width, height: height)
        while true {
            let margin = max(2, size / 2), swatchSide = max(3, size * 7 / 10), swatchSpace = swatchSide + max(2, size / 2)
            var bitmaps: [TextBitmap] = []
            for line in lines { bitmaps.append(try face.render(line.text, pixelSize: size)) }
            let widest = zip(lines, bitmaps).map { line, bitmap in
                if case .finding = line.style { bitmap.width + swatchSpace } else { bitmap.width }
            }.max() ?? 0
            let boxWidth = widest + 2 * margin
            if boxWidth > width, size > Self.smallestLegendPixelSize {
                size = max(Self.smallestLegendPixelSize, min(size - 1, size * (width - 2 * margin) / max(1, widest)))
                continue
            }
            let lineHeight = (bitmaps.first?.height ?? size) + max(1, size / 8)
            var legend = TypesetLegend(box: (min(width, boxWidth), min(height, lines.count * lineHeight + 2 * margin)), texts: [], swatches: [])
            for (row, (line, bitmap)) in zip(lines, bitmaps).enumerated() {
                let top = margin + row * lineHeight
                var left = margin
                var ink: (UInt8, UInt8, UInt8) = (255, 255, 255)
                switch line.style {
                case .heading: break
                case .warning: ink = Self.demonstrationColour
                case .finding(let index):
                    // The swatch sits on the baseline, as tall as a capital.
                    legend.swatches.append((left, top + bitmap.baseline - swatchSide, swatchSide, Self.palette[index % Self.palette.count]))
                    left += swatchSpace
                }
                legend.texts.append((bitmap, ink, left, top))
            }
            return legend
        }
    }

    /// Darkens the legend's box and blends each line's ink by its coverage, in the overlay's
    /// RGB; anything past the image's edges is clipped.
    static func composite(_ legend: TypesetLegend, onto rgb: inout [UInt8], width: Int, height: Int) {
        for y in 0..<legend.box.height { for x in 0..<legend.box.width {
            let i = (y * width + x) * 3
            for c in 0..<3 { rgb[i + c] = UInt8(Double(rgb[i + c]) * 0.25) }
        } }
        for swatch in legend.swatches {
            fill(&rgb, width: width, height: height, x: swatch.x, y: swatch.y, w: swatch.side, h: swatch.side, colour: swatch.colour)
        }
        for text in legend.texts {
            let ink = [Int(text.ink.0), Int(text.ink.1), Int(text.ink.2)]
            for row in 0..<text.bitmap.height {
                let y = text.y + row
                guard y >= 0, y < height else { continue }
                for column in 0..<text.bitmap.width {
                    let x = text.x + column
                    guard x >= 0, x < width else { continue }
                    let alpha = Int(text.bitmap.coverage[row * text.bitmap.width + column])
                    guard alpha > 0 else { continue }
                    let i = (y * width + x) * 3
                    for c in 0..<3 { rgb[i + c] = UInt8((Int(rgb[i + c]) * (255 - alpha) + ink[c] * alpha + 127) / 255) }
                }
            }
        }
    }

    /// The fallback: ``BitmapFont``'s capitals scaled up in whole pixels.
    func drawBitmapLegend(_ rgb: inout [UInt8], width: Int, height: Int, lines legend: [LegendLine]) {
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
                Self.fill(&rgb, width: width, height: height, x: left, y: top, w: 4 * pixel, h: BitmapFont.height * pixel, colour: colour)
                left += 6 * pixel
            }
            for character in line.text {
                for gy in 0..<BitmapFont.height { for gx in 0..<BitmapFont.width where BitmapFont.isSet(character, x: gx, y: gy) {
                    Self.fill(&rgb, width: width, height: height, x: left + gx * pixel, y: top + gy * pixel, w: pixel, h: pixel, colour: line.ink)
                } }
                left += (BitmapFont.width + 1) * pixel
            }
        }
    }

    static func fill(_ rgb: inout [UInt8], width: Int, height: Int, x: Int, y: Int, w: Int, h: Int, colour: (UInt8, UInt8, UInt8)) {
        // The legend can run past a short or narrow image: clip, and draw nothing when wholly outside.
        let top = max(0, y), bottom = min(height, y + h), left = max(0, x), right = min(width, x + w)
        guard top < bottom, left < right else { return }
        for yy in top..<bottom { for xx in left..<right {
            let i = (yy * width + xx) * 3
            rgb[i] = colour.0; rgb[i + 1] = colour.1; rgb[i + 2] = colour.2
        } }
    }
}
