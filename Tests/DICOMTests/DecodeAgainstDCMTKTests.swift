import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

/// Lossless decodes must equal dcmtk's, sample for sample; lossy ones stay within a stated tolerance.
@Suite("Pixel data decodes as dcmtk decodes it", .enabled(if: TestData.available && DCMTKReference.available, "\(TestData.skipMessage); or \(DCMTKReference.skipMessage)"))
struct DecodeAgainstDCMTKTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let file: String
        /// The dcmtk tool that decompresses it, nil for native data.
        let tool: String?
        var testDescription: String { file }
    }

    static let lossless: [Case] = [
        // Native: little and big endian, implicit and explicit, 8 to 16 bits, ACR-NEMA.
        Case(file: "syntax/MR_small_explicitLE.dcm", tool: nil),
        Case(file: "syntax/MR_small_bigendian_explicitBE.dcm", tool: nil),
        Case(file: "malformed/CT1_bigendian_undefined_length_unreadable.dcm", tool: nil),
        Case(file: "derived/DX_J2K_0Padding_implicitLE_uncompressed.dcm", tool: nil),
        Case(file: "derived/DX_chest_966_explicitLE_uncompressed.dcm", tool: nil),
        Case(file: "radiography/CR_chest_RG1_UNCR_explicitLE_mono1_15bit_reference.dcm", tool: nil),
        Case(file: "radiography/CR_extremity_RG3_UNCR_explicitLE_mono1_10bit.dcm", tool: nil),
        Case(file: "radiography/DX_chest_NIH_CXR14_google_SC_implicitLE_8bit.dcm", tool: nil),
        Case(file: "radiography/CR_chest_MONO1_10bit_ACRNEMA_nometa_implicit.dcm", tool: nil),
        // JPEG lossless process 14: selection value 1 and another predictor, decoded in Swift.
        Case(file: "radiography/CR_hip_RG2_JPLL_jpeg_lossless_sv1.dcm", tool: "dcmdjpeg"),
        Case(file: "radiography/CR_MONO1_ModalityLUTSequence_jpeg_lossless_sv1.dcm", tool: "dcmdjpeg"),
        Case(file: "derived/DX_J2K_0Padding_jpeg_lossless_sv1.dcm", tool: "dcmdjpeg"),
        Case(file: "syntax/MR_jpeg_lossless_p14_16_12.dcm", tool: "dcmdjpeg"),
        Case(file: "malformed/bad_sequence_UN_in_JPEGLL.dcm", tool: "dcmdjpeg"),
        // Meta group repeated in the data set with a contradicting transfer syntax: the first wins, as in dcmtk.
        Case(file: "malformed/GH1376_pixeldata_shorter_than_rows_x_cols.dcm", tool: "dcmdjpeg"),
        // RLE split over several fragments.
        Case(file: "syntax/CT1_RLE_multifragment.dcm", tool: "dcmdrle"),
        // JPEG-LS lossless and near-lossless (decoding is exact either way).
        Case(file: "radiography/CR_hip_RG2_JLSL_jpegls_lossless.dcm", tool: "dcmdjpls"),
        Case(file: "radiography/CR_chest_RG1_JLSN_jpegls_nearlossless.dcm", tool: "dcmdjpls"),
    ]

    @Test("lossless and native decodes are bit-exact against dcmtk", arguments: lossless)
    func bitExact(_ test: Case) async throws {
        let raw = try await DCMTKReference.rawPixelBytes(of: Radiograph.path(test.file), decompressWith: test.tool)
        let (ours, reference) = try await cpuWork {
            let image = try DICOMImage(file: Radiograph.read(test.file))
            return (image.frames[0], DCMTKReference.storedValues(raw, pixels: image.pixels))
        }
        #expect(!reference.bitsOutside, "dcmtk's samples use bits outside Bits Stored; the masked comparison would hide them")
        #expect(ours.count == reference.values.count)
        let differing = zip(ours, reference.values).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(ours.count) samples differ from dcmtk")
    }

    /// libjpeg-turbo and dcmtk's IJG code both use the accurate integer IDCT; allow ±1 per
    /// sample for rounding in colour-free upsampling paths, and require the mean error below 0.01.
    static let lossy = [
        "syntax/SC_jpeg_baseline_8bit_mono.dcm",
        "radiography/CR_chest_SIIM_jpeg_baseline_8bit.dcm",
        "derived/DX_chest_NIH_00000075_img2dcm_jpeg_baseline.dcm",
    ]

    @Test("JPEG baseline decodes within ±1 of dcmtk", arguments: lossy)
    func lossyWithinTolerance(_ file: String) async throws {
        let raw = try await DCMTKReference.rawPixelBytes(of: Radiograph.path(file), decompressWith: "dcmdjpeg")
        let (worst, mean) = try await cpuWork {
            let image = try DICOMImage(file: Radiograph.read(file))
            let reference = DCMTKReference.storedValues(raw, pixels: image.pixels).values
            let errors = zip(image.frames[0], reference).map { abs(Int($0) - Int($1)) }
            return (errors.max() ?? 0, Double(errors.reduce(0, +)) / Double(max(errors.count, 1)))
        }
        #expect(worst <= 1 && mean < 0.01, "worst \(worst), mean \(mean)")
    }
}
