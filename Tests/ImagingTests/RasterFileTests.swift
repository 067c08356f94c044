import FluoroboxTestSupport
import Foundation
import Testing
@testable import Imaging

@Suite("JPEG and PNG validation")
struct RasterFileTests {
    static let phantom = ChestPhantom(width: 128, height: 128, seed: 3).render()
    static var phantom8: [UInt8] { phantom.samples.map { UInt8($0 >> 4) } }

    @Test("a JPEG made with libjpeg validates and decodes close to its source")
    func jpegRoundTrip() throws {
        let jpeg = try JPEGCodec.encodeGray8(Self.phantom8, width: 128, height: 128, quality: 95)
        let info = try RasterFileInfo(validating: jpeg)
        #expect(info == RasterFileInfo(kind: .jpeg, width: 128, height: 128, bitDepth: 8, channels: 1))
        let decoded = try JPEGCodec.decodeGray8(jpeg)
        let source = Self.phantom8
        let meanError = zip(decoded.samples, source).map { abs(Int($0) - Int($1)) }.reduce(0, +) / source.count
        #expect(meanError <= 2, "mean absolute error \(meanError)")
    }

    @Test("a truncated JPEG is refused, not taken as an image")
    func jpegTruncated() throws {
        let jpeg = try JPEGCodec.encodeGray8(Self.phantom8, width: 128, height: 128)
        #expect(performing: { try RasterFileInfo(validating: Array(jpeg.prefix(jpeg.count / 2))) }, throws: { error in
            (error as? ImagingError)?.code == .truncatedJPEG
        })
        #expect(performing: { try RasterFileInfo(validating: Array(jpeg.prefix(40))) }, throws: { error in
            (error as? ImagingError)?.code == .damagedJPEG
        })
    }

    @Test("a PNG validates; a cut or corrupted one is refused")
    func png() throws {
        let png = PNGFixture.gray8(width: 128, height: 128, samples: Self.phantom8)
        #expect(try RasterFileInfo(validating: png) == RasterFileInfo(kind: .png, width: 128, height: 128, bitDepth: 8, channels: 1))
        #expect(performing: { try RasterFileInfo(validating: Array(png.prefix(png.count - 20))) }, throws: { error in
            (error as? ImagingError)?.code == .truncatedPNG
        })
        var flipped = png
        flipped[100] ^= 0xFF
        #expect(performing: { try RasterFileInfo(validating: flipped) }, throws: { error in
            (error as? ImagingError)?.code == .damagedPNG
        })
    }

    @Test("the NIH chest radiographs validate as PNG", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func nihImages() throws {
        let files = TestData.files(under: "chest_xray/nih_cxr14").filter { $0.hasSuffix(".png") }
        #expect(files.count >= 60)
        for path in files {
            let info = try RasterFileInfo(validating: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            #expect(info.width == 1024 && info.height == 1024, "\(path)")
        }
    }

    @Test("the phantom has the anatomy's contrast: lungs darker than the spine")
    func phantomContrast() {
        let image = Self.phantom
        let lung = Int(image[40, 60]), spine = Int(image[64, 60]), air = Int(image[2, 2])
        #expect(air < lung && lung < spine)
        #expect(image.samples.allSatisfy { $0 <= image.maximumValue })
    }
}
