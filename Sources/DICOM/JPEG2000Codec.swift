import COpenJPEG

/// JPEG 2000 decoding through OpenJPEG; its messages and failures become ``PixelDataError``
/// here and nowhere else.
enum JPEG2000Codec {
    struct Output {
        let width: Int
        let height: Int
        let precision: Int
        let isSigned: Bool
        let samples: [Int32]
    }

    /// The codestream and the read position OpenJPEG's callbacks work on, plus its last error.
    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        var messages: [String] = []

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }
    }

    /// Decodes one frame. The header is read first and must agree with `pixels` (one component,
    /// Columns × Rows, at most Bits Allocated bits) before OpenJPEG decodes anything, so neither
    /// a lying size nor thousands of components can make it allocate.
    static func decode(_ data: [UInt8], pixels: ImagePixelDescription) throws(PixelDataError) -> Output {
        // A raw codestream starts with SOC+SIZ (FF4F FF51); a JP2 file with its signature box.
        let format: CODEC_FORMAT
        if data.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) {
            format = OPJ_CODEC_J2K
        } else if data.count >= 12, Array(data[4..<8]) == Array("jP  ".utf8) {
            format = OPJ_CODEC_JP2
        } else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG 2000 data starts with neither a codestream (FF4F) nor a JP2 signature")
        }
        try JPEG2000SizeSegment(codestream: data).check(against: pixels)
        let source = Source(bytes: data)
        let context = Unmanaged.passRetained(source)
        guard let codec = opj_create_decompress(format) else {
            context.release()
            throw PixelDataError(.damagedCompressedData, detail: "OpenJPEG could not create a decoder")
        }
        defer { opj_destroy_codec(codec) }
        let report: opj_msg_callback = { message, user in
            guard let message, let user else { return }
            let source = Unmanaged<Source>.fromOpaque(user).takeUnretainedValue()
            if source.messages.count < 8 {
                source.messages.append(String(cString: message).trimmingCharacters(in: "\n"))
            }
        }
        let pointer = context.toOpaque()
        opj_set_error_handler(codec, report, pointer)
        opj_set_warning_handler(codec, { _, _ in }, nil)
        opj_set_info_handler(codec, { _, _ in }, nil)
        var parameters = opj_dparameters_t()
        opj_set_default_decoder_parameters(&parameters)
        guard opj_setup_decoder(codec, &parameters) != 0 else {
            context.release()
            throw PixelDataError(.damagedCompressedData, detail: "OpenJPEG rejected the decoder setup")
        }
        // Strict: a truncated codestream is an error, not a partly grey image.
        _ = opj_decoder_set_strict_mode(codec, 1)

        guard let stream = opj_stream_create(64 * 1024, 1) else {
            context.release()
            throw PixelDataError(.damagedCompressedData, detail: "OpenJPEG could not create a stream")
        }
        defer { opj_stream_destroy(stream) }
        opj_stream_set_user_data(stream, pointer) { user in
            guard let user else { return }
            Unmanaged<Source>.fromOpaque(user).release()
        }
        opj_stream_set_user_data_length(stream, UInt64(data.count))
        opj_stream_set_read_function(stream) { buffer, count, user in
            let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            let available = source.bytes.count - source.offset
            // The end of the stream is (OPJ_SIZE_T)-1. Swift imports size_t as Int, so that is -1,
            // not OPJ_SIZE_T.max: Int.max told OpenJPEG that 2^63 bytes had arrived, and it read
            // past its 64 KB buffer (found by FuzzJPEG2000).
            if available <= 0 { return -1 }
            let length = min(Int(count), available)
            source.bytes.withUnsafeBytes { bytes in
                buffer!.copyMemory(from: bytes.baseAddress! + source.offset, byteCount: length)
            }
            source.offset += length
            return OPJ_SIZE_T(length)
        }
        opj_stream_set_skip_function(stream) { count, user in
            let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            // A JP2 box can ask to skip nearly 2^63 bytes: clamp before adding, so it cannot overflow.
            let target = max(source.offset + min(Int(count), source.bytes.count - source.offset), 0)
            let skipped = target - source.offset
            source.offset = target
            return OPJ_OFF_T(skipped)
        }
        opj_stream_set_seek_function(stream) { position, user in
            let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            guard position >= 0, Int(position) <= source.bytes.count else { return 0 }
            source.offset = Int(position)
            return 1
        }

        func failure(_ what: String) -> PixelDataError {
            let said = source.messages.isEmpty ? "" : ": " + source.messages.joined(separator: "; ")
            return PixelDataError(.damagedCompressedData, detail: "OpenJPEG \(what)\(said)")
        }
        var imagePointer: UnsafeMutablePointer<opj_image_t>?
        guard opj_read_header(stream, codec, &imagePointer) != 0, let image = imagePointer else {
            throw failure("cannot read the header")
        }
        defer { opj_image_destroy(image) }
        let header = image.pointee
        guard header.numcomps == 1, let declared = header.comps?.pointee else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG 2000 image with \(header.numcomps) components (grayscale has 1)")
        }
        guard declared.dx == 1, declared.dy == 1, header.x1 > header.x0, header.y1 > header.y0 else {
            throw PixelDataError(
                .damagedCompressedData,
                detail: "JPEG 2000 image area \(header.x0),\(header.y0) to \(header.x1),\(header.y1), subsampling \(declared.dx)x\(declared.dy)"
            )
        }
        try pixels.checkCodestream(
            "JPEG 2000", width: Int(header.x1 - header.x0), height: Int(header.y1 - header.y0), precision: Int(declared.prec)
        )
        guard opj_decode(codec, stream, image) != 0, opj_end_decompress(codec, stream) != 0 else {
            throw failure("cannot decode the codestream")
        }
        guard image.pointee.numcomps == 1, let component = image.pointee.comps?.pointee, let samples = component.data else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG 2000 image with \(image.pointee.numcomps) components (grayscale has 1)")
        }
        let width = Int(component.w), height = Int(component.h)
        // Decoding must not have changed what the header said (a reduced resolution, a second SIZ).
        try pixels.checkCodestream("JPEG 2000", width: width, height: height, precision: Int(component.prec))
        return Output(
            width: width, height: height, precision: Int(component.prec), isSigned: component.sgnd != 0,
            samples: Array(UnsafeBufferPointer(start: samples, count: width * height))
        )
    }
}
