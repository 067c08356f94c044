import Testing
@testable import DICOM

/// What a JPEG 2000 SIZ declares is refused before OpenJPEG reads the header and allocates its
/// per-tile, per-component parameters.
@Suite("JPEG 2000 SIZ checked before OpenJPEG")
struct JPEG2000SizeSegmentTests {
    /// SOC and SIZ with the given fields; every component 8-bit, unsubsampled.
    static func codestream(width: UInt32, height: UInt32, tile: UInt32, components: UInt16) -> [UInt8] {
        func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        let length = UInt16(38 + 3 * Int(components))
        var bytes: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
        bytes += be32(width) + be32(height) + be32(0) + be32(0) + be32(tile) + be32(tile) + be32(0) + be32(0)
        bytes += [UInt8(components >> 8), UInt8(components & 0xFF)]
        for _ in 0..<components { bytes += [0x07, 1, 1] }
        return bytes + [0xFF, 0xD9]
    }

    static func pixels(width: Int, height: Int) -> ImagePixelDescription {
        ImagePixelDescription(rows: height, columns: width, bitsAllocated: 8, bitsStored: 8, highBit: 7, isSigned: false)
    }

    static func refusal(_ bytes: [UInt8], _ pixels: ImagePixelDescription) -> PixelDataError? {
        do {
            _ = try JPEG2000Codec.decode(bytes, pixels: pixels)
            return nil
        } catch {
            return error
        }
    }

    /// Found by FuzzJPEG2000: 16,384 components in 16,385 tiles of 4x4 made OpenJPEG's header
    /// reading take more than 3 GB before any check of ours ran.
    @Test("thousands of components in thousands of tiles are refused without OpenJPEG allocating for them")
    func componentsTimesTiles() {
        let bytes = Self.codestream(width: 65_540, height: 4, tile: 4, components: 16_384)
        let error = Self.refusal(bytes, Self.pixels(width: 65_540, height: 4))
        #expect(error?.code == .unsupportedPixelFormat && error?.description.contains("16384 components") == true, "\(String(describing: error))")
    }

    @Test("one component in more tiles than any radiograph, a size that disagrees with the data set, and a cut SIZ are refused with the reason")
    func tilesSizeAndCut() {
        let manyTiles = Self.refusal(Self.codestream(width: 4096, height: 4096, tile: 16, components: 1), Self.pixels(width: 4096, height: 4096))
        #expect(manyTiles?.code == .damagedCompressedData && manyTiles?.description.contains("65536 tiles") == true, "\(String(describing: manyTiles))")
        let lying = Self.refusal(Self.codestream(width: 40_000, height: 40_000, tile: 40_000, components: 1), Self.pixels(width: 64, height: 64))
        #expect(lying?.code == .damagedCompressedData && lying?.description.contains("40000x40000") == true, "\(String(describing: lying))")
        let cut = Self.refusal(Array(Self.codestream(width: 64, height: 64, tile: 64, components: 1).prefix(20)), Self.pixels(width: 64, height: 64))
        #expect(cut?.code == .damagedCompressedData && cut?.description.contains("cut short") == true, "\(String(describing: cut))")
    }

    @Test("a plain one-tile grayscale SIZ passes the check")
    func plainPasses() throws {
        let size = try JPEG2000SizeSegment(codestream: Self.codestream(width: 2048, height: 2500, tile: 2048, components: 1))
        #expect(size.tiles == 2 && size.components == 1 && size.width == 2048 && size.height == 2500)
        #expect(throws: Never.self) { try size.check(against: Self.pixels(width: 2048, height: 2500)) }
    }
}
