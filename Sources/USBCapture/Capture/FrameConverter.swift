import Imaging

/// Turns UVC frames into grayscale rasters: MJPEG through libjpeg-turbo (Imaging's JPEGCodec),
/// YUY2 by keeping the luma, GREY and Y16 as they are.
public enum FrameConverter {
    public static func grayscale(_ frame: UVCFrame) throws(ImagingError) -> GrayscaleImage {
        let count = frame.width * frame.height
        switch frame.format {
        case .mjpeg:
            let image = try JPEGCodec.decodeGray8(frame.bytes)
            guard image.width == frame.width, image.height == frame.height else {
                throw ImagingError(.damagedJPEG, detail: "frame is \(image.width)x\(image.height), negotiated \(frame.width)x\(frame.height)")
            }
            return image
        case .grey:
            guard frame.bytes.count >= count else { throw ImagingError(.unsupported, detail: "GREY frame of \(frame.bytes.count) bytes for \(frame.width)x\(frame.height)") }
            return GrayscaleImage(width: frame.width, height: frame.height, bitsStored: 8, samples: frame.bytes.prefix(count).map(UInt16.init))
        case .yuy2:
            guard frame.bytes.count >= 2 * count else { throw ImagingError(.unsupported, detail: "YUY2 frame of \(frame.bytes.count) bytes for \(frame.width)x\(frame.height)") }
            var samples = [UInt16](repeating: 0, count: count)
            frame.bytes.withUnsafeBufferPointer { bytes in
                for index in 0..<count { samples[index] = UInt16(bytes[2 * index]) }
            }
            return GrayscaleImage(width: frame.width, height: frame.height, bitsStored: 8, samples: samples)
        case .y16:
            guard frame.bytes.count >= 2 * count else { throw ImagingError(.unsupported, detail: "Y16 frame of \(frame.bytes.count) bytes for \(frame.width)x\(frame.height)") }
            var samples = [UInt16](repeating: 0, count: count)
            frame.bytes.withUnsafeBufferPointer { bytes in
                for index in 0..<count { samples[index] = UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8 }
            }
            return GrayscaleImage(width: frame.width, height: frame.height, bitsStored: 16, samples: samples)
        case .unsupported(let name):
            throw ImagingError(.unsupported, detail: "pixel format \(name)")
        }
    }
}
