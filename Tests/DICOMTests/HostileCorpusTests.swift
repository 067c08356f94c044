import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

/// The regression corpus of classic hostile constructs (Fuzz/Corpus/regression, written by
/// tools/fuzz/make-corpus.py): each ends in the typed error named here, never a crash, a hang
/// or an allocation the size of a lie.
@Suite("The hostile regression corpus ends in typed errors")
struct HostileCorpusTests {
    enum Expected: Sendable {
        case parse(DICOMParseError.Code)
        /// The error and, when given, words of its detail: which check refused (a decoder's
        /// header check names its codec, so a refusal after allocating and decoding does not pass).
        case pixels(PixelDataError.Code, saying: String? = nil)
        case identity(DICOMParseError.Code)
    }

    static let folder = TestData.packageRoot + "/Fuzz/Corpus/regression"

    static let expectations: [String: Expected] = [
        "length_past_end.dcm": .parse(.valueLengthExceedsData),
        "length_ffff_fffe.dcm": .parse(.valueLengthExceedsData),
        "undefined_length_on_OB.dcm": .parse(.undefinedLengthNotAllowed),
        "undefined_length_on_US_implicit.dcm": .parse(.undefinedLengthNotAllowed),
        "undefined_length_on_text.dcm": .parse(.undefinedLengthNotAllowed),
        "sequence_depth_10000.dcm": .parse(.sequenceTooDeep),
        "sequence_depth_10000_defined.dcm": .parse(.sequenceTooDeep),
        "size_overflow_frames.dcm": .pixels(.imageTooLarge),
        "size_past_limit.dcm": .pixels(.imageTooLarge),
        "uid_dotdot_path.dcm": .identity(.invalidUID),
        "uid_slash.dcm": .identity(.invalidUID),
        "item_length_past_sequence.dcm": .parse(.valueLengthExceedsData),
        "sequence_without_items.dcm": .parse(.badDelimiter),
        "item_never_closed.dcm": .parse(.truncated),
        "delimiter_at_top_level.dcm": .parse(.badDelimiter),
        "fragment_undefined_length.dcm": .parse(.badDelimiter),
        "fragment_past_end.dcm": .parse(.valueLengthExceedsData),
        "rle_segment_offsets_outside.dcm": .pixels(.damagedCompressedData),
        "jpeg_lossless_truncated_scan.dcm": .pixels(.damagedCompressedData),
        "jpeg_lossless_no_table.dcm": .pixels(.damagedCompressedData),
        "jpeg2000_cut_short.dcm": .pixels(.damagedCompressedData),
        "jpegls_header_only.dcm": .pixels(.damagedCompressedData),
        "jpeg_12bit_extended.dcm": .pixels(.unsupportedCompression),
        "deflate_garbage.dcm": .parse(.damagedDeflate),
        "truncated_in_header.dcm": .parse(.truncated),
        "truncated_meta.dcm": .parse(.truncated),
        "pixels_short.dcm": .pixels(.pixelDataTooShort),
        // Numbers the grayscale pipeline refuses before any arithmetic (issue 15).
        "window_center_nan_fd.dcm": .pixels(.badImageAttribute),
        "window_center_1e19.dcm": .pixels(.badImageAttribute),
        "window_width_inf_fl.dcm": .pixels(.badImageAttribute),
        "rescale_slope_1e19.dcm": .pixels(.badImageAttribute),
        "rescale_intercept_inf_fd.dcm": .pixels(.badImageAttribute),
        "lut_descriptor_1e19.dcm": .pixels(.badLUT),
        "frame_past_pixel_limit.dcm": .pixels(.imageTooLarge),
        // Codestreams refused by their decoder's header check, before it allocates.
        "jpeg_lossless_overfull_dht.dcm": .pixels(.damagedCompressedData, saying: "more codes than fit"),
        "jpeg_lossless_sof_dims_lie.dcm": .pixels(.damagedCompressedData, saying: "JPEG lossless codestream is 65535x65535"),
        "jpeg_baseline_sof_dims_lie.dcm": .pixels(.damagedCompressedData, saying: "JPEG codestream is 65500x65500"),
        "jpegls_sof_dims_lie.dcm": .pixels(.damagedCompressedData, saying: "JPEG-LS codestream is 65535x65535"),
        "j2k_siz_dims_lie.dcm": .pixels(.damagedCompressedData, saying: "JPEG 2000 codestream is 40000x40000"),
        "j2k_16384_components.dcm": .pixels(.unsupportedPixelFormat, saying: "16384 components"),
        "rle_segment_short.dcm": .pixels(.damagedCompressedData),
        "rle_segments_crossed.dcm": .pixels(.damagedCompressedData),
        // Found by the fuzz targets (the crash was an over-read inside OpenJPEG, seen under ASan).
        "fuzz_j2k_stream_end.dcm": .pixels(.damagedCompressedData, saying: "Stream too short"),
    ]

    @Test("NaN and infinity in FD and FL values are refused by numbers(), as in DS")
    func nonFiniteBinaryNumbers() throws {
        var body = ElementBytes.imageHeader(rows: 1, columns: 1)
        body += ElementBytes.element(0x0018, 0x1164, "FD", [0, 0, 0, 0, 0, 0, 0xF8, 0x7F])
        body += ElementBytes.element(0x0018, 0x7022, "FL", [0, 0, 0x80, 0xFF])
        body += ElementBytes.element(0x0018, 0x7024, "FD", [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        let dataSet = try DICOMFile(bytes: ElementBytes.part10(body)).dataSet
        #expect(throws: DICOMAttributeError.self) { try dataSet.numbers(Tag(0x0018, 0x1164)) }
        #expect(throws: DICOMAttributeError.self) { try dataSet.numbers(Tag(0x0018, 0x7022)) }
        #expect(try dataSet.numbers(Tag(0x0018, 0x7024)) == [1])
    }

    @Test("the corpus on disk is the one the expectations describe")
    func corpusComplete() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".dcm") }
        #expect(Set(names) == Set(Self.expectations.keys))
    }

    @Test("each hostile file ends in its typed error", .timeLimit(.minutes(1)), arguments: expectations.keys.sorted())
    func hostile(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + name)))
        let expected = try #require(Self.expectations[name])
        // The identity reader used at intake must never crash either, whatever it concludes.
        let identity = Result { () throws(DICOMParseError) in try InstanceIdentity(fileBytes: bytes) }
        switch expected {
        case .parse(let code):
            #expect(throws: DICOMParseError.self) { try DICOMFile(bytes: bytes) }
            do { _ = try DICOMFile(bytes: bytes) } catch { #expect(error.code == code, "\(error)") }
        case .pixels(let code, let words):
            let file = try DICOMFile(bytes: bytes)
            do {
                _ = try DICOMImage(file: file)
                Issue.record("decoded hostile pixel data")
            } catch {
                #expect(error.code == code, "\(error)")
                if let words { #expect(error.detail?.contains(words) == true, "\(error)") }
            }
        case .identity(let code):
            _ = try DICOMFile(bytes: bytes)
            if case .failure(let error) = identity {
                #expect(error.code == code, "\(error)")
            } else {
                Issue.record("a UID that is a path was accepted")
            }
        }
    }

    @Test("a deflated data set that inflates past the limit is refused (a zip bomb)")
    func inflateLimit() async throws {
        var body = ElementBytes.imageHeader(rows: 512, columns: 512, bitsStored: 16)
        body += ElementBytes.element(0x7FE0, 0x0010, "OW", [UInt8](repeating: 0, count: 512 * 512 * 2))
        let deflated = try await ZlibTestSupport.deflateRaw(body)
        #expect(deflated.count < body.count / 100)
        let file = ElementBytes.part10(deflated, syntax: TransferSyntax.deflatedExplicitVRLittleEndian.uid)
        var limits = DICOMReadLimits()
        limits.maximumInflatedBytes = 64 * 1024
        #expect(throws: DICOMParseError.self) { try DICOMFile(bytes: file, limits: limits) }
        do { _ = try DICOMFile(bytes: file, limits: limits) } catch { #expect(error.code == .inflatedTooLarge) }
        let image = try DICOMImage(file: DICOMFile(bytes: file))
        #expect(image.frames[0].count == 512 * 512)
    }

    @Test("more elements than the limit are refused")
    func elementLimit() throws {
        var body = ElementBytes.imageHeader(rows: 1, columns: 1)
        for index in 0..<5000 { body += ElementBytes.element(0x0009, UInt16(0x1000 + index % 0xF00), "OB", [1, 2]) }
        let file = ElementBytes.part10(body)
        var limits = DICOMReadLimits()
        limits.maximumElements = 1000
        do {
            _ = try DICOMFile(bytes: file, limits: limits)
            Issue.record("accepted more elements than the limit")
        } catch {
            #expect(error.code == .tooManyElements)
        }
        #expect(try DICOMFile(bytes: file).dataSet.elements.count > 5000)
    }

    @Test("random bytes and every prefix of a valid file end in a result or a typed error")
    func prefixesAndNoise() throws {
        var dataSet = ElementBytes.imageHeader(rows: 2, columns: 2)
        dataSet += ElementBytes.sequence(0x0008, 0x1115, items: [ElementBytes.text(0x0008, 0x1150, "UI", "1.2.3")])
        dataSet += ElementBytes.element(0x7FE0, 0x0010, "OW", [1, 0, 2, 0, 3, 0, 4, 0])
        let valid = ElementBytes.part10(dataSet)
        for length in 0..<valid.count {
            let prefix = Array(valid.prefix(length))
            _ = try? DICOMFile(bytes: prefix)
            _ = try? InstanceIdentity(fileBytes: prefix)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var noisy = valid
            for _ in 0..<4 { noisy[Int.random(in: 132..<noisy.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if let file = try? DICOMFile(bytes: noisy) { _ = try? DICOMImage(file: file) }
        }
        #expect(try DICOMImage(file: DICOMFile(bytes: valid)).frames[0] == [1, 2, 3, 4])
    }
}
