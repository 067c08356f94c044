import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

/// A synthetic image written by the tests, re-encoded by dcmtk into every syntax it writes,
/// and read back: each frame must come back exactly (or, with a point transform, exactly as
/// the standard says it is reduced).
@Suite("dcmtk's encodings of a known image read back exactly", .enabled(if: DCMTKReference.available, "\(DCMTKReference.skipMessage)"))
struct DCMTKVariantsTests {
    static let rows = 37, columns = 53, frames = 3

    /// Three frames of a 12-bit pattern with edges, noise and the extremes.
    static let samples: [[Int32]] = (0..<frames).map { frame in
        (0..<rows * columns).map { index in
            let x = index % columns, y = index / columns
            let value = (x * 61 + y * 17 + frame * 997 + (x * y) % 13 * 31) % 4096
            return Int32(index == 0 ? 0 : index == 1 ? 4095 : value)
        }
    }

    static func nativeFile(bitsStored: UInt16 = 12, bitsAllocated: UInt16 = 16) -> [UInt8] {
        var dataSet = ElementBytes.imageHeader(rows: UInt16(rows), columns: UInt16(columns), bitsAllocated: bitsAllocated, bitsStored: bitsStored, frames: frames)
        dataSet += ElementBytes.text(0x0028, 0x1050, "DS", "2048") + ElementBytes.text(0x0028, 0x1051, "DS", "4096")
        let values = samples.joined().map { bitsAllocated == 8 ? Int($0) & 0xFF : Int($0) }
        let pixelBytes = bitsAllocated == 8 ? values.map { UInt8($0) } : values.flatMap { ElementBytes.le16(UInt16($0)) }
        dataSet += ElementBytes.element(0x7FE0, 0x0010, bitsAllocated == 8 ? "OB" : "OW", pixelBytes)
        return ElementBytes.part10(dataSet)
    }

    static func convert(_ tool: String, _ options: [String], input: [UInt8]) async throws -> DICOMFile {
        try await DICOMFile(bytes: rawFile(tool, options, input: input))
    }

    struct Variant: Sendable, CustomTestStringConvertible {
        let tool: String
        let options: [String]
        let syntax: TransferSyntax
        var testDescription: String { "\(tool) \(options.joined(separator: " "))" }
    }

    static let variants: [Variant] = [
        Variant(tool: "dcmconv", options: ["+ti"], syntax: .implicitVRLittleEndian),
        Variant(tool: "dcmconv", options: ["+tb"], syntax: .explicitVRBigEndian),
        Variant(tool: "dcmconv", options: ["+td"], syntax: .deflatedExplicitVRLittleEndian),
        Variant(tool: "dcmcrle", options: [], syntax: .rleLossless),
        Variant(tool: "dcmcjpls", options: ["+el"], syntax: .jpegLSLossless),
        Variant(tool: "dcmcjpeg", options: ["+e1"], syntax: .jpegLosslessSV1),
    ] + (1...7).map { Variant(tool: "dcmcjpeg", options: ["+el", "+sv", String($0)], syntax: .jpegLossless) }

    @Test("every frame of a three-frame 12-bit image survives the encoding", arguments: variants)
    func roundTrip(_ variant: Variant) async throws {
        let file = try await Self.convert(variant.tool, variant.options, input: Self.nativeFile())
        #expect(file.transferSyntax == variant.syntax)
        let image = try DICOMImage(file: file)
        #expect(image.frameCount == Self.frames)
        #expect(image.frames == Self.samples)
    }

    @Test("8-bit samples in a big endian file keep their order")
    func eightBitBigEndian() async throws {
        let file = try await Self.convert("dcmconv", ["+tb"], input: Self.nativeFile(bitsStored: 8, bitsAllocated: 8))
        #expect(file.dataSet.isBigEndian)
        let image = try DICOMImage(file: file)
        #expect(image.frames == Self.samples.map { $0.map { $0 & 0xFF } })
    }

    @Test("a point transform reduces samples exactly as T.81 H.1.2.3 says", arguments: [1, 3])
    func pointTransform(_ shift: Int) async throws {
        let file = try await Self.convert("dcmcjpeg", ["+el", "+sv", "1", "+pt", String(shift)], input: Self.nativeFile())
        let image = try DICOMImage(file: file)
        #expect(image.frames == Self.samples.map { $0.map { ($0 >> Int32(shift)) << Int32(shift) } })
    }

    @Test("a deflated file's identity is read from the inflated data set")
    func deflatedIdentity() async throws {
        let bytes = try await Self.rawFile("dcmconv", ["+td"], input: Self.nativeFile())
        let identity = try InstanceIdentity(fileBytes: bytes)
        #expect(identity.dataSetReadable)
        #expect(identity.sopInstanceUID == "1.2.3.4.5" && identity.studyInstanceUID == "1.2.3.4")
        #expect(identity.transferSyntaxUID == TransferSyntax.deflatedExplicitVRLittleEndian.uid)
    }

    static func rawFile(_ tool: String, _ options: [String], input: [UInt8]) async throws -> [UInt8] {
        let folder = TemporaryDirectory("variants")
        let source = try folder.write("in.dcm", input)
        let target = folder.file("out.dcm")
        let result = try await ProcessRunner.run("/usr/bin/\(tool)", options + [source, target])
        guard result.status == 0 else {
            throw DCMTKReference.Failure(description: "\(tool) \(options): \(result.stderr)")
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: target)))
    }
}
