import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

@Suite("Every shared DICOM file is read or refused clearly", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
struct SharedRadiographTests {
    static let files = TestData.files(under: "dicom").filter { $0.hasSuffix(".dcm") }

    /// Files whose image the box must refuse, and why; every other image decodes.
    static let refusals: [String: PixelDataError.Code] = [
        "CR_hip_RG2_JPLY_bad_SOS_Se.dcm": .unsupportedCompression,            // 12-bit JPEG extended
        "CR_hip_RG2_JPLY_fixed_jpeg_extended_12bit.dcm": .unsupportedCompression,
        "DX_chest_966_j2k_bad_COM_marker.dcm": .damagedCompressedData,       // OpenJPEG refuses, as pylibjpeg does
        "badVR.dcm": .badImageAttribute,                                       // Number of Frames "1A"
        "SC_rgb_jpeg_baseline_dcmtk.dcm": .unsupportedPixelFormat,             // colour
        "Issue1097_deflated_with_SQ_noimage.dcm": .noPixelData,
        "SR_structured_report_noimage.dcm": .noPixelData,
    ]

    /// What reading one file gave, computed off the cooperative pool and checked by the test.
    struct ReadOutcome: Sendable {
        var elementCount = 0
        var dumpIsEmpty = true
        var frames: (decoded: Int, declared: Int)?
        var refusal: PixelDataError.Code?
        var refusalDescription = ""
        var took: Duration = .zero
    }

    /// The minute is the read's own; the time limit only catches a hang, as the cases wait for a
    /// core (cpuWork) before they start.
    @Test("parses, then decodes or is refused with a typed reason, within a minute", .timeLimit(.minutes(5)), arguments: files)
    func readOrRefuse(_ path: String) async throws {
        let name = (path as NSString).lastPathComponent
        let outcome = try await cpuWork { () throws -> ReadOutcome in
            let started = ContinuousClock.now
            let file = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            var outcome = ReadOutcome(elementCount: file.dataSet.elements.count, dumpIsEmpty: DICOMDump.text(of: file).isEmpty)
            do {
                let image = try DICOMImage(file: file)
                outcome.frames = (image.frames.count, image.frameCount)
                _ = image.presentation()
            } catch let error as PixelDataError {
                outcome.refusal = error.code
                outcome.refusalDescription = error.description
            }
            outcome.took = ContinuousClock.now - started
            return outcome
        }
        #expect(outcome.took < .seconds(60), "\(name) took \(outcome.took)")
        #expect(outcome.elementCount > 0)
        #expect(!outcome.dumpIsEmpty)
        if let frames = outcome.frames {
            #expect(Self.refusals[name] == nil, "\(name) decoded but should be refused")
            #expect(frames.decoded == frames.declared)
        } else {
            #expect(Self.refusals[name] == outcome.refusal, "\(name): \(outcome.refusalDescription)")
            #expect(!outcome.refusalDescription.isEmpty)
        }
    }

    @Test("RG2 in JPEG-LS lossless and in JPEG lossless decode to the same pixels")
    func rg2Twins() async throws {
        let jpegLS = try await Radiograph.image("radiography/CR_hip_RG2_JLSL_jpegls_lossless.dcm")
        let jpegLossless = try await Radiograph.image("radiography/CR_hip_RG2_JPLL_jpeg_lossless_sv1.dcm")
        #expect(jpegLS.frames[0].count == 2140 * 1760)
        #expect(jpegLS.frames[0] == jpegLossless.frames[0])
    }

    @Test("RG1 near-lossless JPEG-LS differs from the original by at most 4, and does differ")
    func rg1NearLossless() async throws {
        let original = try await Radiograph.image("radiography/CR_chest_RG1_UNCR_explicitLE_mono1_15bit_reference.dcm")
        let nearLossless = try await Radiograph.image("radiography/CR_chest_RG1_JLSN_jpegls_nearlossless.dcm")
        let errors = zip(original.frames[0], nearLossless.frames[0]).map { abs($0 - $1) }
        #expect(errors.count == 1955 * 1841)
        #expect(errors.max() ?? 99 <= 4)
        #expect(errors.contains { $0 > 0 })
    }

    @Test("JPEG 2000 lossless decodes to exactly the derived uncompressed pixels", arguments: [
        ("radiography/DX_chest_forpresentation_966_fixed_j2k_lossless_mono1_12bit.dcm", "derived/DX_chest_966_explicitLE_uncompressed.dcm"),
        ("radiography/DX_forpresentation_DX_J2K_0Padding_j2k_lossless_mono2_16bit.dcm", "derived/DX_J2K_0Padding_implicitLE_uncompressed.dcm"),
        ("derived/DX_J2K_0Padding_jpeg_lossless_sv1.dcm", "derived/DX_J2K_0Padding_implicitLE_uncompressed.dcm"),
    ])
    func derivedTwins(_ pair: (String, String)) async throws {
        let compressed = try await Radiograph.image(pair.0)
        let uncompressed = try await Radiograph.image(pair.1)
        #expect(compressed.frames[0].count == uncompressed.pixels.pixelsPerFrame)
        #expect(compressed.frames[0] == uncompressed.frames[0])
    }

    @Test("the ACR-NEMA file without preamble or meta is detected as implicit VR little endian")
    func acrNema() throws {
        let file = try Radiograph.read("radiography/CR_chest_MONO1_10bit_ACRNEMA_nometa_implicit.dcm")
        #expect(file.format == .acrNema && file.meta == nil)
        #expect(file.transferSyntax == .implicitVRLittleEndian)
        #expect(file.dataSet.string(.sopInstanceUID) == "1.2.392.200036.9125.0.19950720112207")
        #expect(file.dataSet.string(.modality) == "CR")
        let image = try DICOMImage(file: file)
        #expect(image.pixels.isMonochrome1 && image.pixels.bitsStored == 10)
    }

    @Test("a MONOCHROME1 label on MONOCHROME2 pixels changes the display only")
    func fakeMonochrome1() async throws {
        let real = try await Radiograph.image("radiography/CR_chest_SIIM_jpeg_baseline_8bit.dcm")
        let fake = try await Radiograph.image("malformed/CR_chest_SIIM_fake_MONOCHROME1.dcm")
        #expect(real.frames[0] == fake.frames[0])
        let shown = real.presentation().samples, inverted = fake.presentation().samples
        #expect(zip(shown, inverted).allSatisfy { $0 + $1 == 255 })
    }

    @Test("the Modality LUT Sequence maps stored values; the PGM holds the mapped values")
    func modalityLUTSequence() async throws {
        let image = try await Radiograph.image("radiography/CR_MONO1_ModalityLUTSequence_jpeg_lossless_sv1.dcm")
        guard case .lookupTable(let table) = image.modality else {
            Issue.record("expected a Modality LUT, got \(image.modality)")
            return
        }
        #expect(table.entries.count == 1024 && table.firstMapped == 0 && table.bits == 16)
        let stored = image.frames[0], mapped = image.modalityValues()
        #expect(zip(stored, mapped).allSatisfy { Double(table.entries[Int($0)]) == $1 })
        #expect(zip(stored, mapped).contains { Double($0) != $1 })
        let pgm = try image.pgm()
        #expect(pgm.starts(with: Array("P5\n1976 1576\n65535\n".utf8)))
    }
}
