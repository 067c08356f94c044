import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

/// `fluorobox dicom dump` and `fluorobox dicom render`, run as real processes.
@Suite("The dicom command group", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
struct DICOMCommandTests {
    static func pgmSamples(_ bytes: [UInt8]) throws -> (width: Int, height: Int, maxval: Int, samples: [Int]) {
        // Header: "P5\n<w> <h>\n<maxval>\n".
        var fields: [String] = [], current = "", index = 0
        while fields.count < 4, index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x0A || byte == 0x20 {
                if !current.isEmpty { fields.append(current); current = "" }
            } else {
                current.append(Character(Unicode.Scalar(byte)))
            }
        }
        guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), let maxval = Int(fields[3]) else {
            throw DCMTKReference.Failure(description: "not a binary PGM: \(fields)")
        }
        let body = Array(bytes[index...])
        let samples = maxval > 255
            ? stride(from: 0, to: body.count - 1, by: 2).map { Int(body[$0]) << 8 | Int(body[$0 + 1]) }
            : body.map { Int($0) }
        return (width, height, maxval, samples)
    }

    @Test("render writes frame 1's modality values, MONOCHROME1 not inverted, maxval 65535 past 8 bits", arguments: [
        "radiography/CR_extremity_RG3_UNCR_explicitLE_mono1_10bit.dcm",
        "radiography/CR_hip_RG2_JPLL_jpeg_lossless_sv1.dcm",
        "radiography/CR_chest_MONO1_10bit_ACRNEMA_nometa_implicit.dcm",
    ])
    func renderDeep(_ relative: String) async throws {
        let folder = TemporaryDirectory("render")
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "render", Radiograph.path(relative), "--out", folder.file("out.pgm")])
        #expect(result.status == 0, "\(result.stderr)")
        let pgm = try Self.pgmSamples([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("out.pgm")))))
        let image = try await Radiograph.image(relative)
        #expect(pgm.width == image.pixels.columns && pgm.height == image.pixels.rows && pgm.maxval == 65535)
        #expect(pgm.samples == image.frames[0].map(Int.init))
    }

    @Test("render of an 8-bit image has maxval 255")
    func renderEightBit() async throws {
        let folder = TemporaryDirectory("render")
        let relative = "radiography/DX_chest_NIH_CXR14_google_SC_implicitLE_8bit.dcm"
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "render", Radiograph.path(relative), "--out", folder.file("out.pgm")])
        #expect(result.status == 0, "\(result.stderr)")
        let pgm = try Self.pgmSamples([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("out.pgm")))))
        #expect(pgm.maxval == 255 && pgm.samples.count == 1024 * 1024)
        await #expect(pgm.samples == (try Radiograph.image(relative)).frames[0].map(Int.init))
    }

    @Test("render exits non-zero with the reason, and writes nothing, when it cannot", arguments: [
        ("radiography/CR_hip_RG2_JPLY_fixed_jpeg_extended_12bit.dcm", "12-bit JPEG"),
        ("syntax/CT1_RLE_multifragment.dcm", "PGM holds 0 to 65535"),
        ("syntax/SR_structured_report_noimage.dcm", "no pixel data"),
        ("../README.md", "neither a DICOM Part 10 file nor an ACR-NEMA data set"),
    ])
    func renderRefusal(_ pair: (String, String)) async throws {
        let folder = TemporaryDirectory("render")
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "render", Radiograph.path(pair.0), "--out", folder.file("out.pgm")])
        #expect(result.status != 0)
        #expect(result.stderr.contains(pair.1), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.pgm")))
    }

    @Test("dump lists meta, elements, nested items and fragments with keywords")
    func dump() async throws {
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "dump", Radiograph.path("radiography/CR_MONO1_ModalityLUTSequence_jpeg_lossless_sv1.dcm")])
        #expect(result.status == 0, "\(result.stderr)")
        for expected in [
            "# Dicom-Meta-Information-Header", "(0002,0010) UI [1.2.840.10008.1.2.4.70]",
            "(0028,0004) CS [MONOCHROME1]", "PhotometricInterpretation", "(0028,3000) SQ (Sequence with undefined length #=1)",
            "  (FFFE,E000) na (Item #=4)", "    (0028,3002) US 1024\\0\\16", "(7FE0,0010) OB (PixelSequence",
        ] {
            #expect(result.stdout.contains(expected), "missing: \(expected)")
        }
        let acrNema = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "dump", Radiograph.path("radiography/CR_chest_MONO1_10bit_ACRNEMA_nometa_implicit.dcm")])
        #expect(acrNema.stdout.hasPrefix("# Dicom-File-Format: ACR-NEMA"))
        #expect(acrNema.stdout.contains("(0008,0018) UI [1.2.392.200036.9125.0.19950720112207]"))
        let broken = try await ProcessRunner.run(ProcessRunner.fluorobox, ["dicom", "dump", TestData.packageRoot + "/Fuzz/Corpus/regression/sequence_depth_10000.dcm"])
        #expect(broken.status != 0 && broken.stderr.contains("sequences nested too deeply"))
    }
}
