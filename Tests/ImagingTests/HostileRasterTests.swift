import FluoroboxTestSupport
import Foundation
import Imaging
import Testing

/// The PNG and JPEG files of the hostile regression corpus (Fuzz/Corpus/regression, written by
/// tools/fuzz/make-corpus.py): each ends in the typed error named here, or in the image it
/// really holds, never a trap or an allocation the size of what its header claims.
@Suite("Hostile PNG and JPEG files end in typed errors")
struct HostileRasterTests {
    enum Expected: Sendable {
        /// Decodes to an image of this size (what lies past the image is ignored).
        case image(width: Int, height: Int)
        case error(ImagingError.Code)
    }

    static let folder = TestData.packageRoot + "/Fuzz/Corpus/regression"

    static let expectations: [String: Expected] = [
        "png_chunk_after_iend.png": .image(width: 4, height: 4),
        "png_chunk_length_2g.png": .error(.truncatedPNG),
        "png_chunk_length_past_end.png": .error(.truncatedPNG),
        "png_past_pixel_limit.png": .error(.unsupported),
        "png_width_2_31.png": .error(.damagedPNG),
        "jpeg_sof_65500.jpg": .error(.unsupported),
    ]

    @Test("the raster files on disk are the ones the expectations describe")
    func corpusComplete() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }
        #expect(Set(names) == Set(Self.expectations.keys))
    }

    @Test("each hostile raster decodes to what it holds or ends in its typed error", .timeLimit(.minutes(1)), arguments: expectations.keys.sorted())
    func hostile(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + name)))
        let expected = try #require(Self.expectations[name])
        let decode = { () throws(ImagingError) -> GrayscaleImage in
            try name.hasSuffix(".png") ? PNGDecoder.decodeGray(bytes) : JPEGCodec.decodeGray8(bytes)
        }
        switch expected {
        case .image(let width, let height):
            let image = try decode()
            #expect(image.width == width && image.height == height)
            #expect(try RasterFileInfo(validating: bytes).width == width)
        case .error(let code):
            do {
                let image = try decode()
                Issue.record("decoded a hostile file to \(image.width)x\(image.height)")
            } catch {
                #expect(error.code == code, "\(error)")
            }
        }
    }

    @Test("a JPEG is held to the size its caller expects before it is decoded")
    func jpegExpectedSize() throws {
        let jpeg = try JPEGCodec.encodeGray8([UInt8](repeating: 128, count: 16 * 8), width: 16, height: 8)
        #expect(try JPEGCodec.decodeGray8(jpeg, expectedSize: (16, 8)).samples.count == 128)
        #expect(performing: { try JPEGCodec.decodeGray8(jpeg, expectedSize: (8, 16)) }, throws: { error in
            (error as? ImagingError)?.code == .damagedJPEG
        })
    }
}
