import CCharLS

/// JPEG-LS (lossless and near-lossless) through CharLS's C API; its error codes become
/// ``PixelDataError`` here and nowhere else.
enum JPEGLSCodec {
    struct Output {
        let width: Int
        let height: Int
        let bitsPerSample: Int
        let nearLossless: Int
        let samples: [Int32]
    }

    /// Decodes one frame; the header CharLS reads must agree with `pixels` (Columns, Rows, Bits
    /// Allocated) before the destination buffer is allocated.
    static func decode(_ data: [UInt8], pixels: ImagePixelDescription) throws(PixelDataError) -> Output {
        guard let decoder = charls_jpegls_decoder_create() else {
            throw PixelDataError(.damagedCompressedData, detail: "CharLS could not create a decoder")
        }
        defer { charls_jpegls_decoder_destroy(decoder) }
        let result = data.withUnsafeBytes { input in
            Result { () throws(PixelDataError) -> Output in try decode(decoder, input, pixels: pixels) }
        }
        return try result.get()
    }

    static func check(_ status: charls_jpegls_errc, _ step: String) throws(PixelDataError) {
        guard status == CHARLS_JPEGLS_ERRC_SUCCESS else {
            let message = charls_get_error_message(status).map { String(cString: $0) } ?? "error \(status.rawValue)"
            throw PixelDataError(.damagedCompressedData, detail: "CharLS \(step): \(message)")
        }
    }

    private static func decode(_ decoder: OpaquePointer, _ input: UnsafeRawBufferPointer, pixels expected: ImagePixelDescription) throws(PixelDataError) -> Output {
        guard let base = input.baseAddress, input.count > 0 else {
            throw PixelDataError(.damagedCompressedData, detail: "empty JPEG-LS data")
        }
        try check(charls_jpegls_decoder_set_source_buffer(decoder, base, input.count), "source")
        try check(charls_jpegls_decoder_read_header(decoder), "header")
        var frame = charls_frame_info()
        try check(charls_jpegls_decoder_get_frame_info(decoder, &frame), "frame info")
        guard frame.component_count == 1 else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG-LS image with \(frame.component_count) components (grayscale has 1)")
        }
        guard (2...16).contains(frame.bits_per_sample), frame.width > 0, frame.height > 0, frame.width <= 65_535, frame.height <= 65_535 else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG-LS frame \(frame.width)x\(frame.height), \(frame.bits_per_sample) bits")
        }
        try expected.checkCodestream("JPEG-LS", width: Int(frame.width), height: Int(frame.height), precision: Int(frame.bits_per_sample))
        var near: Int32 = 0
        try check(charls_jpegls_decoder_get_near_lossless(decoder, 0, &near), "near-lossless")
        var size = 0
        try check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size), "destination size")
        let pixels = Int(frame.width) * Int(frame.height)
        let bytesPerSample = frame.bits_per_sample > 8 ? 2 : 1
        guard size == pixels * bytesPerSample else {
            throw PixelDataError(.damagedCompressedData, detail: "CharLS asks for \(size) bytes for \(pixels) samples")
        }
        var buffer = [UInt8](repeating: 0, count: size)
        let status = buffer.withUnsafeMutableBytes { target in
            charls_jpegls_decoder_decode_to_buffer(decoder, target.baseAddress!, target.count, 0)
        }
        try check(status, "decode")
        var samples = [Int32](repeating: 0, count: pixels)
        if bytesPerSample == 2 {
            // CharLS writes 16-bit samples in the machine's byte order (little endian here).
            for index in 0..<pixels { samples[index] = Int32(buffer[2 * index]) | Int32(buffer[2 * index + 1]) << 8 }
        } else {
            for index in 0..<pixels { samples[index] = Int32(buffer[index]) }
        }
        return Output(
            width: Int(frame.width), height: Int(frame.height), bitsPerSample: Int(frame.bits_per_sample),
            nearLossless: Int(near), samples: samples
        )
    }
}
