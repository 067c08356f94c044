import Imaging
import Synchronization

/// What an emulated camera shows: an idle picture (a dim, almost flat screen) with sensor noise,
/// and on request an "exposure": a quick ramp to the exposure image, which then holds still
/// (with noise) for `holdFrames` frames before the screen goes back to idle.
public final class ExposureScene: Sendable {
    public let width: Int
    public let height: Int
    /// The image an exposure shows, 8-bit: what a capture must reproduce.
    public let exposureImage: [UInt8]
    public let holdFrames: Int
    public let rampFrames: Int
    /// ± noise amplitude per frame, in 8-bit levels.
    public let noise: Int
    private let state = Mutex<(exposureStart: Int?, exposures: Int)>((nil, 0))

    public init(width: Int, height: Int, exposureImage: [UInt8]? = nil, holdFrames: Int = 20, rampFrames: Int = 2, noise: Int = 4) {
        self.width = width
        self.height = height
        if let exposureImage {
            precondition(exposureImage.count == width * height)
            self.exposureImage = exposureImage
        } else {
            self.exposureImage = Self.phantom(width: width, height: height)
        }
        self.holdFrames = holdFrames
        self.rampFrames = rampFrames
        self.noise = noise
    }

    /// The synthetic chest phantom at this size, windowed to 8 bits.
    public static func phantom(width: Int, height: Int, seed: UInt64 = 7) -> [UInt8] {
        let image = ChestPhantom(width: width, height: height, seed: seed).render()
        let maximum = Double(image.maximumValue)
        return image.samples.map { UInt8(min(235, max(0, (Double($0) / maximum * 255).rounded()))) }
    }

    /// Starts an exposure at the given frame number.
    public func expose(atFrame frame: Int) {
        state.withLock { $0.exposureStart = frame; $0.exposures += 1 }
    }

    public var exposures: Int { state.withLock { $0.exposures } }

    /// True while frames of an exposure are being shown at `frame`.
    public func isExposing(atFrame frame: Int) -> Bool {
        guard let start = state.withLock({ $0.exposureStart }) else { return false }
        return frame >= start && frame < start + 2 * rampFrames + holdFrames
    }

    /// The 8-bit picture of frame number `frame`.
    public func image(frame: Int) -> [UInt8] {
        let start = state.withLock { $0.exposureStart }
        var weight = 0.0
        if let start, frame >= start {
            let t = frame - start
            if t < rampFrames {
                weight = Double(t + 1) / Double(rampFrames + 1)
            } else if t < rampFrames + holdFrames {
                weight = 1
            } else if t < 2 * rampFrames + holdFrames {
                weight = Double(2 * rampFrames + holdFrames - t) / Double(rampFrames + 1)
            }
        }
        var random = NoiseGenerator(seed: UInt64(frame) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var output = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                let idle = 18.0 + 6.0 * Double(x) / Double(width)
                let value = idle * (1 - weight) + Double(exposureImage[index]) * weight
                let jitter = noise > 0 ? Int(random.next() % UInt64(2 * noise + 1)) - noise : 0
                output[index] = UInt8(clamping: Int(value.rounded()) + jitter)
            }
        }
        return output
    }
}

/// SplitMix64: cheap, deterministic noise.
struct NoiseGenerator {
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
