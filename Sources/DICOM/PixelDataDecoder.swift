import Imaging

/// Turns the Pixel Data element of a data set into stored values, one array per frame: native
/// data in either byte order, RLE, JPEG baseline/extended 8-bit (libjpeg-turbo), JPEG lossless
/// (Swift), JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG).
///
/// Stored values are what Bits Stored and High Bit select from each sample, sign-extended when
/// Pixel Representation is 1, as dcmtk extracts them.
enum PixelDataDecoder {
    static func decode(
        _ dataSet: DataSet, syntax: TransferSyntax, pixels: ImagePixelDescription, frames indices: [Int]
    ) throws(PixelDataError) -> [[Int32]] {
        guard let element = dataSet[.pixelData] else { throw PixelDataError(.noPixelData) }
        for index in indices where !(0..<pixels.numberOfFrames).contains(index) {
            throw PixelDataError(.frameOutOfRange, detail: "frame \(index + 1) of \(pixels.numberOfFrames)")
        }
        switch element.value {
        case .sequence:
            throw PixelDataError(.noPixelData, detail: "Pixel Data is a sequence")
        case .bytes(let bytes):
            // The element's form decides, as in dcmtk: defined-length pixel data is native even
            // when the transfer syntax names a compression.
            return try indices.map { (index: Int) throws(PixelDataError) -> [Int32] in
                try native(bytes, vr: element.vr, bigEndian: dataSet.isBigEndian, pixels: pixels, frame: index)
            }
        case .encapsulated(let encapsulated):
            guard syntax.isEncapsulated else {
                throw PixelDataError(.unsupportedTransferSyntax, detail: "encapsulated pixel data in \(syntax), which is not a compressed syntax")
            }
            let frames = try encapsulated.frames(count: pixels.numberOfFrames)
            return try indices.map { (index: Int) throws(PixelDataError) -> [Int32] in
                let raw = try decompress(frames[index], syntax: syntax, pixels: pixels)
                return stored(raw, pixels: pixels, shift: 0)
            }
        }
    }

    // MARK: - Native

    private static func native(
        _ bytes: ArraySlice<UInt8>, vr: ValueRepresentation, bigEndian: Bool, pixels: ImagePixelDescription, frame: Int
    ) throws(PixelDataError) -> [Int32] {
        let frameBytes = pixels.bytesPerFrame
        let needed = frameBytes * pixels.numberOfFrames
        guard bytes.count >= needed else {
            throw PixelDataError(
                .pixelDataTooShort,
                detail: "Pixel Data has \(bytes.count) bytes; \(pixels.columns)x\(pixels.rows), \(pixels.bitsAllocated) bits, \(pixels.numberOfFrames) frame(s) need \(needed)"
            )
        }
        let start = bytes.startIndex + frame * frameBytes
        let count = pixels.pixelsPerFrame
        var raw = [Int32](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { source in
            raw.withUnsafeMutableBufferPointer { target in
                let base = start - bytes.startIndex
                if pixels.bitsAllocated == 8 {
                    // 8-bit samples in an OW element of a big endian data set are swapped in pairs.
                    let swapPairs = bigEndian && vr == .OW
                    for index in 0..<count {
                        target[index] = Int32(source[base + (swapPairs ? index ^ 1 : index)])
                    }
                } else if bigEndian {
                    for index in 0..<count {
                        target[index] = Int32(source[base + 2 * index]) << 8 | Int32(source[base + 2 * index + 1])
                    }
                } else {
                    for index in 0..<count {
                        target[index] = Int32(source[base + 2 * index]) | Int32(source[base + 2 * index + 1]) << 8
                    }
                }
            }
        }
        return stored(raw, pixels: pixels, shift: pixels.highBit + 1 - pixels.bitsStored)
    }

    /// Selects Bits Stored bits ending at High Bit and sign-extends them when signed.
    static func stored(_ raw: [Int32], pixels: ImagePixelDescription, shift: Int) -> [Int32] {
        let bits = Int32(pixels.bitsStored)
        let mask: Int32 = bits >= 31 ? -1 : (1 << bits) - 1
        let sign: Int32 = 1 << (bits - 1)
        let signed = pixels.isSigned
        var output = raw
        output.withUnsafeMutableBufferPointer { values in
            for index in values.indices {
                var value = (values[index] >> Int32(shift)) & mask
                if signed && value & sign != 0 { value -= sign << 1 }
                values[index] = value
            }
        }
        return output
    }

    // MARK: - Compressed

    private static func decompress(_ frame: [UInt8], syntax: TransferSyntax, pixels: ImagePixelDescription) throws(PixelDataError) -> [Int32] {
        let width: Int, height: Int, samples: [Int32]
        switch syntax {
        case .rleLossless:
            return try RLEDecoder.decode(frame, pixels: pixels.pixelsPerFrame, bitsAllocated: pixels.bitsAllocated)
        case .jpegLSLossless, .jpegLSNearLossless:
            let output = try JPEGLSCodec.decode(frame, pixels: pixels)
            (width, height, samples) = (output.width, output.height, output.samples)
        case .jpeg2000Lossless, .jpeg2000, TransferSyntax(uid: "1.2.840.10008.1.2.4.92"), TransferSyntax(uid: "1.2.840.10008.1.2.4.93"):
            let output = try JPEG2000Codec.decode(frame, pixels: pixels)
            (width, height, samples) = (output.width, output.height, output.samples)
        case _ where syntax.isJPEGProcess:
            (width, height, samples) = try decodeJPEG(frame, syntax: syntax, pixels: pixels)
        default:
            throw PixelDataError(.unsupportedTransferSyntax, detail: "\(syntax) (\(syntax.uid))")
        }
        // Each decoder checked its header before allocating; this holds whatever it returned to it.
        guard width == pixels.columns, height == pixels.rows, samples.count == pixels.pixelsPerFrame else {
            throw PixelDataError(
                .damagedCompressedData,
                detail: "the codestream is \(width)x\(height), Rows and Columns say \(pixels.columns)x\(pixels.rows)"
            )
        }
        return samples
    }

    /// The JPEG transfer syntaxes (1.2.840.10008.1.2.4.50 to .70): the codestream's frame header
    /// decides the decoder, since the syntax alone does not say the precision.
    private static func decodeJPEG(
        _ frame: [UInt8], syntax: TransferSyntax, pixels: ImagePixelDescription
    ) throws(PixelDataError) -> (Int, Int, [Int32]) {
        let header = try JPEGFrameHeader.read(frame)
        switch header.marker {
        case 0xC3:
            let output = try JPEGLosslessDecoder.decode(frame, pixels: pixels)
            return (output.width, output.height, output.samples)
        case 0xF7:
            let output = try JPEGLSCodec.decode(frame, pixels: pixels)
            return (output.width, output.height, output.samples)
        case 0xC0, 0xC1, 0xC2:
            guard header.precision == 8 else {
                throw PixelDataError(
                    .unsupportedCompression,
                    detail: "\(header.precision)-bit JPEG \(header.processName): the box's libjpeg-turbo 2.1 decodes 8-bit JPEG only; ask the unit to send JPEG Lossless, JPEG 2000 or uncompressed"
                )
            }
            guard header.components == 1 else {
                throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG with \(header.components) components (grayscale has 1)")
            }
            try pixels.checkCodestream("JPEG", width: header.width, height: header.height, precision: header.precision)
            do {
                // libjpeg's own reading of the header is held to Rows and Columns as well.
                let image = try JPEGCodec.decodeGray8(frame, expectedSize: (pixels.columns, pixels.rows))
                return (image.width, image.height, image.samples.map { Int32($0) })
            } catch {
                throw PixelDataError(.damagedCompressedData, detail: "libjpeg: \(error)")
            }
        default:
            throw PixelDataError(.unsupportedCompression, detail: "JPEG \(header.processName) is not decoded here")
        }
    }
}

extension TransferSyntax {
    /// JPEG (ITU-T T.81) syntaxes, 1.2.840.10008.1.2.4.50 to .70, including the retired ones.
    var isJPEGProcess: Bool {
        guard uid.hasPrefix("1.2.840.10008.1.2.4."), let number = Int(uid.dropFirst("1.2.840.10008.1.2.4.".count)) else { return false }
        return (50...70).contains(number)
    }
}
