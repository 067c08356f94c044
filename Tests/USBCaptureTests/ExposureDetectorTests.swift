import Imaging
import Testing
import UVCEmulator
@testable import USBCapture

@Suite("Exposure detection")
struct ExposureDetectorTests {
    static func image(_ scene: ExposureScene, _ frame: Int) -> GrayscaleImage {
        GrayscaleImage(width: scene.width, height: scene.height, bitsStored: 8, samples: scene.image(frame: frame).map(UInt16.init))
    }

    @Test("idle, then an exposure: exactly one capture, the average of settled frames, close to the exposure image; the return to idle captures nothing")
    func oneCapturePerExposure() {
        let scene = ExposureScene(width: 96, height: 72, holdFrames: 20, noise: 6)
        var detector = ExposureDetector()
        var captures: [(GrayscaleImage, Int)] = []
        var settledWithout: [String] = []
        for frame in 0..<120 {
            if frame == 30 { scene.expose(atFrame: 30) }
            switch detector.feed(Self.image(scene, frame)) {
            case .capture(let image, let frames): captures.append((image, frames))
            case .settledWithoutCapture(let reason): settledWithout.append(reason)
            default: break
            }
        }
        #expect(captures.count == 1)
        guard let (capture, frames) = captures.first else { return }
        #expect(frames == 8)
        let difference = zip(capture.samples, scene.exposureImage).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(scene.exposureImage.count)
        #expect(difference < 1.5, "averaging 8 frames brings ±6 noise down to about 1.5 mean; got \(difference)")
        #expect(settledWithout == ["back to the idle picture"])
    }

    @Test("a plain noisy video feed with slow drift never triggers a capture")
    func plainFeed() {
        var detector = ExposureDetector()
        var random = SystemRandomNumberGenerator()
        for frame in 0..<600 {
            let drift = Double(frame) / 60
            let samples = (0..<(64 * 48)).map { index in
                UInt16(clamping: Int(80 + drift + Double(index % 64) + Double.random(in: -5...5, using: &random)))
            }
            if case .capture = detector.feed(GrayscaleImage(width: 64, height: 48, bitsStored: 8, samples: samples)) {
                Issue.record("captured at frame \(frame)")
            }
        }
    }

    @Test("two exposures give two captures; a blank flash gives none")
    func twoExposuresAndABlank() {
        let scene = ExposureScene(width: 64, height: 48, holdFrames: 15)
        var detector = ExposureDetector()
        var captures = 0
        var reasons: [String] = []
        for frame in 0..<200 {
            if frame == 20 || frame == 100 { scene.expose(atFrame: frame) }
            var image = Self.image(scene, frame)
            if (160..<175).contains(frame) { image.samples = [UInt16](repeating: 200, count: image.samples.count) }
            switch detector.feed(image) {
            case .capture: captures += 1
            case .settledWithoutCapture(let reason): reasons.append(reason)
            default: break
            }
        }
        #expect(captures == 2)
        #expect(reasons.contains { $0.hasPrefix("blank picture") })
    }
}
