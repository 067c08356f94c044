/// A synthetic posterior-anterior chest radiograph: body outline, lung fields, heart, spine,
/// ribs and clavicles, with quantum-like noise. It stands in for a real exposure in the demo
/// and in tests; it is not anatomy and not for any clinical purpose.
public struct ChestPhantom: Sendable {
    public var width: Int
    public var height: Int
    /// Varies the noise and small anatomical offsets so two phantoms differ.
    public var seed: UInt64

    public init(width: Int = 1024, height: Int = 1024, seed: UInt64 = 1) {
        self.width = width
        self.height = height
        self.seed = seed
    }

    /// Renders a 12-bit MONOCHROME2 image (bright = more attenuation).
    public func render() -> GrayscaleImage {
        var random = SplitMix64(seed: seed)
        let shift = (Double(random.next() % 1000) / 1000.0 - 0.5) * 0.02
        let lungs = [
            Ellipse(cx: 0.32 + shift, cy: 0.46, rx: 0.14, ry: 0.27),
            Ellipse(cx: 0.68 + shift, cy: 0.46, rx: 0.14, ry: 0.27),
        ]
        let body = Ellipse(cx: 0.5, cy: 0.56, rx: 0.43, ry: 0.52)
        let heart = Ellipse(cx: 0.55 + shift, cy: 0.60, rx: 0.13, ry: 0.13)
        var samples = [UInt16](repeating: 0, count: width * height)
        for y in 0..<height {
            let v = (Double(y) + 0.5) / Double(height)
            for x in 0..<width {
                let u = (Double(x) + 0.5) / Double(width)
                var value = 180.0
                value += 1700 * body.coverage(u, v, edge: 0.02)
                for lung in lungs { value -= 950 * lung.coverage(u, v, edge: 0.03) }
                value += 900 * heart.coverage(u, v, edge: 0.03)
                value += 800 * Self.band(abs(u - 0.5), halfWidth: 0.028, edge: 0.008) * (v > 0.08 ? 1 : 0)
                value += 420 * Self.ribs(u, v)
                value += 600 * Self.clavicles(u, v)
                value += Double(Int(random.next() % 81) - 40)
                samples[y * width + x] = UInt16(max(0, min(4095, value)))
            }
        }
        return GrayscaleImage(width: width, height: height, bitsStored: 12, samples: samples)
    }

    private struct Ellipse {
        let cx, cy, rx, ry: Double

        /// 1 inside, 0 outside, with a soft edge of the given width in normalised units.
        func coverage(_ u: Double, _ v: Double, edge: Double) -> Double {
            let dx = (u - cx) / rx, dy = (v - cy) / ry
            let distance = (dx * dx + dy * dy).squareRoot()
            return ChestPhantom.smooth(1 - (distance - 1) * min(rx, ry) / edge - 0.5)
        }
    }

    static func smooth(_ t: Double) -> Double {
        let c = max(0, min(1, t))
        return c * c * (3 - 2 * c)
    }

    static func band(_ distance: Double, halfWidth: Double, edge: Double) -> Double {
        smooth((halfWidth - distance) / edge + 0.5)
    }

    /// Nine pairs of posterior ribs curving down from the spine.
    static func ribs(_ u: Double, _ v: Double) -> Double {
        let side = abs(u - 0.5)
        guard side > 0.03, side < 0.33 else { return 0 }
        var total = 0.0
        for index in 0..<9 {
            let y0 = 0.22 + Double(index) * 0.052
            let curve = y0 + 0.9 * (side - 0.03) * (side - 0.03) + 0.02 * side
            total += band(abs(v - curve), halfWidth: 0.009, edge: 0.004)
        }
        return min(1, total)
    }

    static func clavicles(_ u: Double, _ v: Double) -> Double {
        let side = abs(u - 0.5)
        guard side > 0.04, side < 0.3 else { return 0 }
        let line = 0.17 - 0.12 * (side - 0.04)
        return band(abs(v - line), halfWidth: 0.008, edge: 0.004)
    }
}

/// A small fast deterministic generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
