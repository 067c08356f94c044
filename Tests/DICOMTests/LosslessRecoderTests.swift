import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

@Suite("Lossless re-encoding for upload: smaller, and the same pixels for every reader")
struct LosslessRecoderTests {
    static func write(_ bytes: [UInt8], in folder: TemporaryDirectory, _ name: String) throws -> String {
        try folder.write(name, bytes)
    }

    @Test("a native 12-bit radiograph goes as lossless JPEG-LS, smaller, and dcmtk decodes the very same pixel bytes")
    func nativeRadiographBecomesJPEGLS() async throws {
        let original = try SyntheticDICOM.radiograph()
        guard case .recoded(let recoded) = LosslessRecoder.smallest(original) else {
            Issue.record("not re-encoded: \(LosslessRecoder.smallest(original))")
            return
        }
        #expect(recoded.encoding == .jpegLS)
        #expect(recoded.bytes.count < original.count / 2, "\(recoded.bytes.count) of \(original.count)")
        let file = try DICOMFile(bytes: recoded.bytes)
        #expect(file.transferSyntax == .jpegLSLossless)
        #expect(try DICOMImage(file: file).frames == DICOMImage(file: DICOMFile(bytes: original)).frames)
        #expect(LosslessRecoder.smallest(original).recodedBytes == recoded.bytes, "the same input gave other bytes")
        try #require(DCMTKReference.available, "\(DCMTKReference.skipMessage)")
        let folder = TemporaryDirectory("recode")
        let before = try await DCMTKReference.rawPixelBytes(of: Self.write(original, in: folder, "native.dcm"))
        let after = try await DCMTKReference.rawPixelBytes(of: Self.write(recoded.bytes, in: folder, "jls.dcm"), decompressWith: "dcmdjpls")
        #expect(before == after)
    }

    @Test("a multi-frame image gets one JPEG-LS fragment per frame, each frame the same")
    func multiFrame() throws {
        let original = try SyntheticDICOM.radiograph(rows: 64, columns: 64, frames: 3)
        guard case .recoded(let recoded) = LosslessRecoder.smallest(original) else {
            Issue.record("not re-encoded")
            return
        }
        let file = try DICOMFile(bytes: recoded.bytes)
        guard case .encapsulated(let pixels)? = file.dataSet[.pixelData]?.value else {
            Issue.record("no encapsulated pixel data")
            return
        }
        #expect(pixels.fragments.count == 3)
        #expect(try DICOMImage(file: file).frames == DICOMImage(file: DICOMFile(bytes: original)).frames)
    }

    @Test("bits set above Bits Stored are kept: no JPEG-LS, the data set deflated instead, byte for byte")
    func highBitsKeepTheirBytes() async throws {
        let original = try SyntheticDICOM.radiograph(bitsStored: 12, highBits: 0x8000)
        guard case .recoded(let recoded) = LosslessRecoder.smallest(original) else {
            Issue.record("not re-encoded: \(LosslessRecoder.smallest(original))")
            return
        }
        #expect(recoded.encoding == .deflate)
        let before = try DICOMFile(bytes: original), after = try DICOMFile(bytes: recoded.bytes)
        #expect(after.transferSyntax == .deflatedExplicitVRLittleEndian)
        #expect(after.dataSet[.pixelData]?.bytes.map(Array.init) == before.dataSet[.pixelData]?.bytes.map(Array.init))
        try #require(DCMTKReference.available, "\(DCMTKReference.skipMessage)")
        let folder = TemporaryDirectory("recode")
        let dcmtk = try await DCMTKReference.rawPixelBytes(of: Self.write(recoded.bytes, in: folder, "deflated.dcm"))
        #expect(dcmtk == before.dataSet[.pixelData]?.bytes.map(Array.init))
    }

    @Test("an implicit VR instance (dcmconv +ti) is re-encoded in explicit VR with every attribute's bytes kept")
    func implicitSource() async throws {
        try #require(DCMTKReference.available, "\(DCMTKReference.skipMessage)")
        let folder = TemporaryDirectory("recode")
        let explicitPath = try Self.write(try SyntheticDICOM.radiograph(), in: folder, "explicit.dcm"), implicitPath = folder.file("implicit.dcm")
        let converted = try await ProcessRunner.run("/usr/bin/dcmconv", ["+ti", explicitPath, implicitPath])
        try #require(converted.status == 0, "dcmconv: \(converted.stderr)")
        let implicit = [UInt8](try Data(contentsOf: URL(fileURLWithPath: implicitPath)))
        #expect(try DICOMFile(bytes: implicit).transferSyntax == .implicitVRLittleEndian)
        guard case .recoded(let recoded) = LosslessRecoder.smallest(implicit) else {
            Issue.record("not re-encoded: \(LosslessRecoder.smallest(implicit))")
            return
        }
        let before = try DICOMFile(bytes: implicit), after = try DICOMFile(bytes: recoded.bytes)
        #expect(LosslessRecoder.attributes(before.dataSet) == LosslessRecoder.attributes(after.dataSet))
        #expect(try DICOMImage(file: after).frames == DICOMImage(file: before).frames)
        let dump = try await ProcessRunner.run("/usr/bin/dcmdump", [try Self.write(recoded.bytes, in: folder, "recoded.dcm")])
        #expect(dump.status == 0 && dump.stdout.contains("RECODE^TEST"), "dcmdump: \(dump.stderr)")
    }

    @Test("noise does not get smaller: the instance goes as it is, and says why")
    func incompressibleStaysOriginal() throws {
        let noise = try SyntheticDICOM.make(payload: SyntheticDICOM.randomBytes(64 * 1024))
        guard case .original(let reason) = LosslessRecoder.smallest(noise) else {
            Issue.record("re-encoded random bytes")
            return
        }
        #expect(reason.contains("smaller") || reason.contains("JPEG-LS"), "\(reason)")
    }

    @Test("signed pixels are never JPEG-LS (readers disagree on them); bytes that are not DICOM go as they are")
    func refusals() throws {
        if case .recoded(let recoded) = LosslessRecoder.smallest(try SyntheticDICOM.radiograph(signed: true)) {
            #expect(recoded.encoding == .deflate)
        }
        guard case .original(let reason) = LosslessRecoder.smallest(Array("not a DICOM file at all".utf8)) else {
            Issue.record("re-encoded text")
            return
        }
        #expect(reason.contains("not readable as DICOM"))
    }

    @Test(
        "the shared radiographs: lossy ones go as they are; every re-encoded one decodes to the same pixels",
        .enabled(if: TestData.available, "\(TestData.skipMessage)"), .timeLimit(.minutes(10))
    )
    func sharedRadiographs() async throws {
        let files = TestData.files(under: "dicom/radiography").filter { $0.hasSuffix(".dcm") }
        try #require(!files.isEmpty)
        var saved = 0, total = 0
        for path in files {
            let name = (path as NSString).lastPathComponent
            let (bytes, outcome) = try await cpuWork { () throws -> ([UInt8], LosslessRecoder.Outcome) in
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                return (bytes, LosslessRecoder.smallest(bytes))
            }
            total += bytes.count
            let syntax = try DICOMFile(bytes: bytes).transferSyntax
            switch outcome {
            case .recoded(let recoded):
                #expect(LosslessRecoder.losslessSources.contains(syntax), "\(name): a \(syntax) source was re-encoded")
                #expect(recoded.bytes.count < bytes.count)
                let same = try await cpuWork {
                    try DICOMImage(file: DICOMFile(bytes: bytes)).frames == DICOMImage(file: DICOMFile(bytes: recoded.bytes)).frames
                }
                #expect(same, "\(name): decoded pixels differ")
                saved += bytes.count - recoded.bytes.count
            case .original(let reason):
                #expect(!reason.isEmpty)
                if [.jpegBaseline, .jpegExtended, .jpegLSNearLossless, .jpeg2000].contains(syntax) {
                    #expect(reason.contains("not a lossless encoding"), "\(name): \(reason)")
                }
            }
        }
        // The native radiographs alone make this well over a tenth.
        #expect(saved > total / 10, "saved \(saved) of \(total) bytes")
    }
}

extension LosslessRecoder.Outcome {
    var recodedBytes: [UInt8]? {
        if case .recoded(let recoded) = self { return recoded.bytes }
        return nil
    }
}
