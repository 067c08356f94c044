/// Decodes a PNG (PNG specification, 3rd edition) to the grey raster the analysis reads:
/// greyscale samples as stored (1–16 bits), colour reduced to luma, alpha ignored.
/// Interlaced and palette images are refused; sizes are bounded before anything is inflated.
public enum PNGDecoder {
    public static func decodeGray(_ bytes: [UInt8]) throws(ImagingError) -> GrayscaleImage {
        let layout = try PNGStructure.read(bytes)
        let pixels = layout.header.width.multipliedReportingOverflow(by: layout.header.height)
        guard !pixels.overflow, pixels.partialValue <= GrayscaleImage.maximumPixels else {
            throw ImagingError(.unsupported, detail: "\(layout.header.width)x\(layout.header.height) is more than the \(GrayscaleImage.maximumPixels) pixels the box reads")
        }
        guard layout.colourType != 3 else { throw ImagingError(.unsupported, detail: "palette PNG images are not read by the box") }
        guard layout.interlace == 0 else { throw ImagingError(.unsupported, detail: "interlaced PNG images are not read by the box") }
        let (width, height, depth, channels) = (layout.header.width, layout.header.height, layout.header.bitDepth, layout.header.channels)
        guard depth >= 8 || channels == 1 else { throw ImagingError(.damagedPNG, detail: "bit depth \(depth) with \(channels) channels") }
        let rowBytes = (width * channels * depth + 7) / 8
        let pixelBytes = max(1, channels * depth / 8)

        // Only the IDAT chunks PNGStructure found before IEND: nothing after IEND is read.
        var compressed: [UInt8] = []
        for range in layout.imageData { compressed += bytes[range] }
        // Inflation stops at what IHDR declares; a deflate bomb ends as a typed error.
        let expected = height * (rowBytes + 1)
        let filtered: [UInt8]
        do {
            filtered = try Zlib.inflate(compressed[...], format: .zlib, limit: expected)
        } catch {
            throw ImagingError(error.code == .truncated ? .truncatedPNG : .damagedPNG, detail: "image data: \(error.detail)")
        }
        guard filtered.count == expected else {
            throw ImagingError(.truncatedPNG, detail: "image data holds \(filtered.count) bytes, \(expected) expected")
        }
        let raw = try unfilter(filtered, rows: height, rowBytes: rowBytes, pixelBytes: pixelBytes)

        var samples = [UInt16](repeating: 0, count: width * height)
        func sample(_ row: Int, _ index: Int) -> UInt16 {
            let start = row * rowBytes
            switch depth {
            case 16: return UInt16(raw[start + index * 2]) << 8 | UInt16(raw[start + index * 2 + 1])
            case 8: return UInt16(raw[start + index])
            default:
                let bit = index * depth
                let byte = raw[start + bit / 8]
                return UInt16((byte >> (8 - depth - bit % 8)) & UInt8((1 << depth) - 1))
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let value: UInt16
                switch channels {
                case 3, 4:
                    let r = UInt32(sample(y, x * channels)), g = UInt32(sample(y, x * channels + 1)), b = UInt32(sample(y, x * channels + 2))
                    value = UInt16((299 * r + 587 * g + 114 * b + 500) / 1000)
                default:
                    value = sample(y, x * channels)
                }
                samples[y * width + x] = value
            }
        }
        return GrayscaleImage(width: width, height: height, bitsStored: depth, samples: samples)
    }

    /// Reverses the per-row filters (None, Sub, Up, Average, Paeth).
    static func unfilter(_ data: [UInt8], rows: Int, rowBytes: Int, pixelBytes: Int) throws(ImagingError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: rows * rowBytes)
        for row in 0..<rows {
            let filter = data[row * (rowBytes + 1)]
            let source = row * (rowBytes + 1) + 1, target = row * rowBytes
            for i in 0..<rowBytes {
                let a = i >= pixelBytes ? Int(output[target + i - pixelBytes]) : 0
                let b = row > 0 ? Int(output[target - rowBytes + i]) : 0
                let c = row > 0 && i >= pixelBytes ? Int(output[target - rowBytes + i - pixelBytes]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default:
                    throw ImagingError(.damagedPNG, detail: "row \(row) has filter type \(filter)")
                }
                output[target + i] = UInt8(truncatingIfNeeded: Int(data[source + i]) + predictor)
            }
        }
        return output
    }
}
