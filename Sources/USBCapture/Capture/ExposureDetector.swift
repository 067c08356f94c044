import Imaging

/// Finds X-ray exposures in a continuous video stream.
///
/// A unit's video output shows a live or idle picture; an exposure makes the picture change
/// sharply and then hold still while the unit displays the image. The detector compares small
/// thumbnails of consecutive frames: a change larger than ``Settings/changeThreshold`` against the
/// last settled scene starts an event; once ``Settings/stableFrames`` consecutive frames differ by
/// less than ``Settings/stableThreshold`` the scene has settled, and the next frames (up to
/// ``Settings/integrationFrames``) are averaged to lower the noise. The settled scene becomes one
/// capture unless it is an idle scene (the picture seen at start, one that stayed up longer than
/// ``Settings/idleAfterFrames`` frames, or one back to such a picture), is too flat to be an image,
/// or repeats the last capture. One exposure gives exactly one capture.
public struct ExposureDetector: Sendable {
    public struct Settings: Sendable, Hashable, Codable {
        /// Mean absolute difference (0-255 scale, on 32-pixel-wide thumbnails) that counts as a
        /// sharp change. Sensor noise and compression on a plain video feed stay well below 12.
        public var changeThreshold: Double = 12
        /// Frame-to-frame difference below which the picture is still.
        public var stableThreshold: Double = 3
        /// Consecutive still frames that make a settled scene.
        public var stableFrames: Int = 3
        /// Frames averaged into one capture (the settling frames count).
        public var integrationFrames: Int = 8
        /// Standard deviation (0-255) a settled scene needs to be an image rather than a blank screen.
        public var minimumContrast: Double = 8
        /// A settled scene shown this many frames without a capture becomes an idle scene.
        public var idleAfterFrames: Int = 300

        public init() {}
    }

    /// What feeding one frame produced.
    public enum Event: Sendable {
        case none
        /// A sharp change began.
        case changeStarted(difference: Double)
        /// The picture settled on an idle scene, a blank, or the last capture: nothing captured.
        case settledWithoutCapture(reason: String)
        /// An exposure: the average of `frames` settled frames.
        case capture(GrayscaleImage, frames: Int)
    }

    enum Phase: Sendable {
        /// Learning the idle picture from the first settled frames.
        case starting
        case watching
        /// A sharp change; waiting for the picture to settle.
        case changing(stillCount: Int)
        /// Settled on a new scene: summing frames.
        case integrating(sum: [UInt32], count: Int)
    }

    public let settings: Settings
    private(set) var phase: Phase = .starting
    /// The last settled picture (thumbnail).
    private var reference: Thumbnail?
    private var previous: Thumbnail?
    private var idleScenes: [Thumbnail] = []
    private var lastCapture: Thumbnail?
    private var framesOnReference = 0
    private var referenceCaptured = false

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public mutating func feed(_ image: GrayscaleImage) -> Event {
        let thumbnail = Thumbnail(image)
        defer { previous = thumbnail }
        let still = previous.map { thumbnail.difference($0) < settings.stableThreshold } ?? false
        switch phase {
        case .starting:
            guard let previous, still else {
                framesOnReference = 0
                return .none
            }
            framesOnReference += 1
            if framesOnReference + 1 >= settings.stableFrames {
                reference = thumbnail
                idleScenes = [previous]
                phase = .watching
                framesOnReference = 0
            }
            return .none
        case .watching:
            guard let reference else { phase = .starting; return .none }
            let difference = thumbnail.difference(reference)
            if difference > settings.changeThreshold {
                phase = .changing(stillCount: 0)
                return .changeStarted(difference: difference)
            }
            framesOnReference += 1
            if still && difference < settings.stableThreshold {
                // Slow drift (auto exposure, warm-up) follows the picture.
                self.reference = thumbnail
            }
            if framesOnReference == settings.idleAfterFrames && !referenceCaptured && !idleScenes.contains(where: { $0.difference(reference) < settings.changeThreshold }) {
                idleScenes.append(reference)
                if idleScenes.count > 4 { idleScenes.removeFirst() }
            }
            return .none
        case .changing(let stillCount):
            let count = still ? stillCount + 1 : 0
            guard count + 1 >= settings.stableFrames else {
                phase = .changing(stillCount: count)
                return .none
            }
            framesOnReference = 0
            reference = thumbnail
            if let reason = reasonNotToCapture(thumbnail) {
                referenceCaptured = false
                // Back at idle, the next exposure is new even if it shows the same picture.
                if reason == Self.backToIdle { lastCapture = nil }
                phase = .watching
                return .settledWithoutCapture(reason: reason)
            }
            phase = .integrating(sum: image.samples.map(UInt32.init), count: 1)
            return integrationCompleteIfDone(image: image)
        case .integrating(var sum, let count):
            guard let reference, thumbnail.difference(reference) < settings.changeThreshold, image.samples.count == sum.count else {
                // The picture moved on before enough frames were summed: capture what there is.
                let event = emit(sum: sum, count: count, like: image)
                phase = .changing(stillCount: 0)
                return event
            }
            for index in sum.indices { sum[index] &+= UInt32(image.samples[index]) }
            phase = .integrating(sum: sum, count: count + 1)
            return integrationCompleteIfDone(image: image)
        }
    }

    private mutating func integrationCompleteIfDone(image: GrayscaleImage) -> Event {
        guard case .integrating(let sum, let count) = phase, count >= settings.integrationFrames else { return .none }
        let event = emit(sum: sum, count: count, like: image)
        phase = .watching
        return event
    }

    private mutating func emit(sum: [UInt32], count: Int, like image: GrayscaleImage) -> Event {
        let half = UInt32(count / 2)
        let samples = sum.map { UInt16(($0 + half) / UInt32(count)) }
        let average = GrayscaleImage(width: image.width, height: image.height, bitsStored: image.bitsStored, samples: samples)
        lastCapture = Thumbnail(average)
        referenceCaptured = true
        framesOnReference = 0
        return .capture(average, frames: count)
    }

    static let backToIdle = "back to the idle picture"

    private func reasonNotToCapture(_ thumbnail: Thumbnail) -> String? {
        if idleScenes.contains(where: { thumbnail.difference($0) < settings.changeThreshold }) {
            return Self.backToIdle
        }
        if thumbnail.standardDeviation < settings.minimumContrast {
            return "blank picture (contrast \(Int(thumbnail.standardDeviation)) below \(Int(settings.minimumContrast)))"
        }
        if let lastCapture, thumbnail.difference(lastCapture) < settings.stableThreshold {
            return "same picture as the last capture"
        }
        return nil
    }
}

/// A small 8-bit copy of a frame (32 pixels wide) for cheap comparisons.
struct Thumbnail: Sendable {
    static let width = 32
    let width: Int
    let height: Int
    let samples: [Double]

    init(_ image: GrayscaleImage) {
        let width = min(Self.width, image.width)
        let height = max(1, min(image.height, Int((Double(image.height) * Double(width) / Double(image.width)).rounded())))
        var sums = [Double](repeating: 0, count: width * height)
        var counts = [Double](repeating: 0, count: width * height)
        let scale = 255.0 / Double(image.maximumValue)
        image.samples.withUnsafeBufferPointer { source in
            for y in 0..<image.height {
                let ty = y * height / image.height
                for x in 0..<image.width {
                    let index = ty * width + x * width / image.width
                    sums[index] += Double(source[y * image.width + x])
                    counts[index] += 1
                }
            }
        }
        self.width = width
        self.height = height
        samples = zip(sums, counts).map { $1 > 0 ? $0 / $1 * scale : 0 }
    }

    /// Mean absolute difference, 0-255; a different size counts as completely different.
    func difference(_ other: Thumbnail) -> Double {
        guard other.samples.count == samples.count else { return 255 }
        var total = 0.0
        for index in samples.indices { total += abs(samples[index] - other.samples[index]) }
        return total / Double(max(1, samples.count))
    }

    var standardDeviation: Double {
        let mean = samples.reduce(0, +) / Double(max(1, samples.count))
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, samples.count))
        return variance.squareRoot()
    }
}
