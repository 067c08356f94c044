import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

@Suite("Grayscale pipeline: bit depths, sign, Modality and VOI stages, frames")
struct GrayscalePipelineTests {
    /// 16-bit samples of a width-4 image.
    static func words(_ values: [Int]) -> [UInt8] {
        values.flatMap { ElementBytes.le16(UInt16(truncatingIfNeeded: $0)) }
    }

    @Test("12-bit signed samples with High Bit 11 are masked and sign-extended; Rescale applies")
    func signedTwelveBit() throws {
        var dataSet = ElementBytes.imageHeader(rows: 1, columns: 4, bitsStored: 12, signed: true)
        dataSet += ElementBytes.text(0x0028, 0x1052, "DS", "-1024") + ElementBytes.text(0x0028, 0x1053, "DS", "2")
        // Bits above High Bit carry junk (an overlay in the old style) that must be ignored.
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words([0x0FFF, 0xF800, 0x07FF, 0x1001]))
        let image = try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        #expect(image.frames[0] == [-1, -2048, 2047, 1])
        #expect(image.modalityValues() == [-1026, -5120, 3070, -1022])
        #expect(throws: PixelDataError.self) { try image.pgm() }
    }

    @Test("8-bit samples, MONOCHROME1: the PGM keeps stored values, the display inverts")
    func eightBitMonochrome1() throws {
        var dataSet = ElementBytes.imageHeader(rows: 1, columns: 4, bitsAllocated: 8, bitsStored: 8, photometric: "MONOCHROME1")
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OB", [0, 10, 200, 255])
        let image = try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        #expect(try image.pgm() == Array("P5\n4 1\n255\n".utf8) + [0, 10, 200, 255])
        #expect(image.presentation().samples == [255, 245, 55, 0])
    }

    @Test("window centre/width (LINEAR, PS3.3 C.11.2.1.2.1) and an explicit window")
    func window() throws {
        var dataSet = ElementBytes.imageHeader(rows: 1, columns: 5, bitsStored: 12)
        dataSet += ElementBytes.text(0x0028, 0x1050, "DS", "100\\2000") + ElementBytes.text(0x0028, 0x1051, "DS", "101\\10")
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words([0, 49, 100, 150, 4095]))
        let image = try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        #expect(image.voi == .window(center: 100, width: 101, function: .linear))
        // x <= 49.5 → 0; x > 149.5 → 255; 100 → ((100 - 99.5)/100 + 0.5) × 255 = 128.775.
        #expect(image.presentation().samples == [0, 0, 129, 255, 255])
        #expect(image.presentation(outputBits: 16, window: (2048, 4096)).samples[4] == 65535)
        #expect(try image.pgm() == Array("P5\n5 1\n65535\n".utf8) + [0, 0, 0, 49, 0, 100, 0, 150, 0x0F, 0xFF])
    }

    @Test("a VOI LUT Sequence is used before the window, scaled from its own bits")
    func voiLUT() throws {
        var dataSet = ElementBytes.imageHeader(rows: 1, columns: 4, bitsStored: 12)
        dataSet += ElementBytes.text(0x0028, 0x1050, "DS", "100") + ElementBytes.text(0x0028, 0x1051, "DS", "10")
        let lut = ElementBytes.us(0x0028, 0x3002, 4, 10, 8) + ElementBytes.element(0x0028, 0x3006, "OW", Self.words([0, 85, 170, 255]))
        dataSet += ElementBytes.sequence(0x0028, 0x3010, items: [lut])
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words([5, 11, 12, 400]))
        let image = try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        #expect(image.presentation().samples == [0, 85, 170, 255])
    }

    @Test("a damaged LUT is refused with the reason")
    func damagedLUT() throws {
        var dataSet = ElementBytes.imageHeader(rows: 1, columns: 1, bitsStored: 12)
        let lut = ElementBytes.us(0x0028, 0x3002, 4096, 0, 16) + ElementBytes.element(0x0028, 0x3006, "OW", Self.words([1, 2]))
        dataSet += ElementBytes.sequence(0x0028, 0x3000, items: [lut])
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words([5]))
        #expect(throws: PixelDataError(.badLUT, detail: "Modality LUT: LUT Descriptor says 4096 entries, LUT Data holds 2")) {
            try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        }
    }

    @Test("multi-frame native data: every frame, in order, and the count is kept")
    func multiFrame() throws {
        var dataSet = ElementBytes.imageHeader(rows: 2, columns: 2, bitsStored: 16, frames: 3)
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words(Array(0..<12).map { $0 * 1000 }))
        let file = try DICOMFile(bytes: ElementBytes.part10(dataSet))
        let image = try DICOMImage(file: file)
        #expect(image.frameCount == 3)
        #expect(image.frames == [[0, 1000, 2000, 3000], [4000, 5000, 6000, 7000], [8000, 9000, 10000, 11000]])
        let second = try DICOMImage(file: file, frames: [1])
        #expect(second.frames == [[4000, 5000, 6000, 7000]] && second.frameCount == 3)
        #expect(throws: PixelDataError.self) { try DICOMImage(file: file, frames: [3]) }
    }

    @Test("pixel data shorter than Rows × Columns × frames is refused, not padded")
    func shortPixelData() throws {
        var dataSet = ElementBytes.imageHeader(rows: 2, columns: 2, bitsStored: 16, frames: 2)
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", Self.words([1, 2, 3, 4, 5, 6]))
        #expect(throws: PixelDataError(.pixelDataTooShort, detail: "Pixel Data has 12 bytes; 2x2, 16 bits, 2 frame(s) need 16")) {
            try DICOMImage(file: DICOMFile(bytes: ElementBytes.part10(dataSet)))
        }
    }

    @Test("Rows × Columns × Bits × Frames past the limit or past Int is refused before any allocation")
    func sizeOverflow() throws {
        var dataSet = ElementBytes.imageHeader(rows: 65535, columns: 65535, bitsStored: 16)
        dataSet = dataSet.dropLast(0) + ElementBytes.text(0x0028, 0x0008, "IS", "2147483647")
        let header = ElementBytes.imageHeader(rows: 65535, columns: 65535, bitsStored: 16, frames: Int(Int32.max))
        for bytes in [header] {
            let file = try DICOMFile(bytes: ElementBytes.part10(bytes + ElementBytes.element(0x7FE0, 0x0010, "OW", [0, 0])))
            #expect(throws: PixelDataError.self) { try DICOMImage(file: file) }
            do { _ = try DICOMImage(file: file) } catch { #expect(error.code == .imageTooLarge) }
        }
        _ = dataSet
    }
}
