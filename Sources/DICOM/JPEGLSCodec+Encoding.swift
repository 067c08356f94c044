import CCharLS

extension JPEGLSCodec {
    /// One grayscale frame as a lossless JPEG-LS codestream (no SPIFF header). Every sample must
    /// lie in 0..<2^bitsPerSample; CharLS refuses the frame otherwise.
    static func encodeLossless(_ samples: [Int32], width: Int, height: Int, bitsPerSample: Int) throws(PixelDataError) -> [UInt8] {
        guard (2...16).contains(bitsPerSample), width > 0, height > 0, samples.count == width * height else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG-LS cannot encode \(width)x\(height) with \(bitsPerSample) bits from \(samples.count) samples")
        }
        guard let encoder = charls_jpegls_encoder_create() else {
            throw PixelDataError(.damagedCompressedData, detail: "CharLS could not create an encoder")
        }
        defer { charls_jpegls_encoder_destroy(encoder) }
        var frame = charls_frame_info(
            width: UInt32(width), height: UInt32(height), bits_per_sample: Int32(bitsPerSample), component_count: 1
        )
        try check(charls_jpegls_encoder_set_frame_info(encoder, &frame), "frame info")
        try check(charls_jpegls_encoder_set_near_lossless(encoder, 0), "near-lossless")
        var size = 0
        try check(charls_jpegls_encoder_get_estimated_destination_size(encoder, &size), "destination size")
        // CharLS reads 16-bit samples in the machine's byte order (little endian here).
        var source: [UInt8]
        if bitsPerSample > 8 {
            source = [UInt8](repeating: 0, count: samples.count * 2)
            for (index, sample) in samples.enumerated() {
                source[2 * index] = UInt8(truncatingIfNeeded: sample)
                source[2 * index + 1] = UInt8(truncatingIfNeeded: sample >> 8)
            }
        } else {
            source = samples.map { UInt8(truncatingIfNeeded: $0) }
        }
        var destination = [UInt8](repeating: 0, count: size)
        let status = destination.withUnsafeMutableBytes { target in
            source.withUnsafeBytes { input in
                let set = charls_jpegls_encoder_set_destination_buffer(encoder, target.baseAddress!, target.count)
                guard set == CHARLS_JPEGLS_ERRC_SUCCESS else { return set }
                return charls_jpegls_encoder_encode_from_buffer(encoder, input.baseAddress!, input.count, 0)
            }
        }
        try check(status, "encode")
        var written = 0
        try check(charls_jpegls_encoder_get_bytes_written(encoder, &written), "bytes written")
        destination.removeSubrange(written...)
        return destination
    }
}
