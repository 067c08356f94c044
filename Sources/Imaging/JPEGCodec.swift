import CJPEGCodec
import Glibc

/// JPEG through libjpeg-turbo, with libjpeg's errors turned into ``ImagingError``.
public enum JPEGCodec {
    /// Decodes the whole file to confirm it is complete, and describes it.
    static func validate(_ bytes: [UInt8]) throws(ImagingError) -> RasterFileInfo {
        let info = try readInfo(bytes)
        _ = try decodeGray8(bytes, info: info, expectedSize: nil)
        return RasterFileInfo(
            kind: .jpeg, width: Int(info.width), height: Int(info.height),
            bitDepth: Int(info.data_precision), channels: Int(info.components)
        )
    }

    /// Decodes a JPEG to 8-bit grayscale (colour files are converted to luma by libjpeg).
    ///
    /// The size libjpeg reads from the frame header is checked before anything is allocated:
    /// against `expectedSize` when the caller knows it (a DICOM frame's Columns and Rows), and
    /// always against ``GrayscaleImage/maximumPixels``.
    public static func decodeGray8(_ bytes: [UInt8], expectedSize: (width: Int, height: Int)? = nil) throws(ImagingError) -> GrayscaleImage {
        try decodeGray8(bytes, info: readInfo(bytes), expectedSize: expectedSize)
    }

    private static func readInfo(_ bytes: [UInt8]) throws(ImagingError) -> fb_jpeg_info {
        guard ImageFileKind(sniffing: bytes) == .jpeg else { throw ImagingError(.notJPEG) }
        var info = fb_jpeg_info()
        var message = [CChar](repeating: 0, count: Int(FB_JPEG_MESSAGE_CAPACITY))
        let status = bytes.withUnsafeBufferPointer { buffer in
            fb_jpeg_read_info(buffer.baseAddress, buffer.count, &info, &message)
        }
        guard status == 0 else {
            throw ImagingError(.damagedJPEG, detail: Self.text(message))
        }
        return info
    }

    private static func decodeGray8(
        _ bytes: [UInt8], info: fb_jpeg_info, expectedSize: (width: Int, height: Int)?
    ) throws(ImagingError) -> GrayscaleImage {
        let width = Int(info.width), height = Int(info.height)
        guard width > 0, height > 0, width <= 65_535, height <= 65_535 else {
            throw ImagingError(.damagedJPEG, detail: "image size \(width)x\(height)")
        }
        if let expectedSize, expectedSize != (width, height) {
            throw ImagingError(.damagedJPEG, detail: "the frame header says \(width)x\(height), the image is \(expectedSize.width)x\(expectedSize.height)")
        }
        guard width * height <= GrayscaleImage.maximumPixels else {
            throw ImagingError(.unsupported, detail: "\(width)x\(height) is more than the \(GrayscaleImage.maximumPixels) pixels the box reads")
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        var warnings = 0
        var message = [CChar](repeating: 0, count: Int(FB_JPEG_MESSAGE_CAPACITY))
        let status = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                fb_jpeg_decode_gray8(input.baseAddress, input.count, output.baseAddress, output.count, &warnings, &message)
            }
        }
        guard status == 0 else {
            throw ImagingError(.damagedJPEG, detail: Self.text(message))
        }
        guard warnings == 0 else {
            throw ImagingError(.truncatedJPEG, detail: "libjpeg reported \(warnings) corrupt-data warning(s)")
        }
        return GrayscaleImage(width: width, height: height, bitsStored: 8, samples: pixels.map(UInt16.init))
    }

    /// Encodes 8-bit grayscale samples (row-major, width × height) as a baseline JPEG.
    public static func encodeGray8(_ samples: [UInt8], width: Int, height: Int, quality: Int = 90) throws(ImagingError) -> [UInt8] {
        precondition(samples.count == width * height, "sample count must be width x height")
        return try encode(samples, width: width, height: height, components: 1, quality: quality)
    }

    /// Encodes 8-bit RGB samples (row-major, interleaved R, G, B) as a baseline JPEG.
    public static func encodeRGB8(_ samples: [UInt8], width: Int, height: Int, quality: Int = 90) throws(ImagingError) -> [UInt8] {
        precondition(samples.count == width * height * 3, "sample count must be width x height x 3")
        return try encode(samples, width: width, height: height, components: 3, quality: quality)
    }

    private static func encode(_ samples: [UInt8], width: Int, height: Int, components: Int32, quality: Int) throws(ImagingError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var length: UInt = 0
        var message = [CChar](repeating: 0, count: Int(FB_JPEG_MESSAGE_CAPACITY))
        let status = samples.withUnsafeBufferPointer { input in
            fb_jpeg_encode8(input.baseAddress, Int32(width), Int32(height), components, Int32(quality), &output, &length, &message)
        }
        guard status == 0, let output else {
            throw ImagingError(.damagedJPEG, detail: "encoding failed: \(Self.text(message))")
        }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    private static func text(_ message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
