/// RLE Lossless (PS3.5 annex G): a 64-byte header of segment offsets, then one PackBits
/// segment per byte plane, most significant byte first.
enum RLEDecoder {
    static func decode(_ frame: [UInt8], pixels: Int, bitsAllocated: Int) throws(PixelDataError) -> [Int32] {
        guard frame.count >= 64 else {
            throw PixelDataError(.damagedCompressedData, detail: "RLE frame of \(frame.count) bytes has no 64-byte header")
        }
        func header(_ index: Int) -> Int {
            Int(UInt32(frame[4 * index]) | UInt32(frame[4 * index + 1]) << 8 | UInt32(frame[4 * index + 2]) << 16 | UInt32(frame[4 * index + 3]) << 24)
        }
        let planes = bitsAllocated / 8
        let segmentCount = header(0)
        guard segmentCount == planes else {
            throw PixelDataError(.damagedCompressedData, detail: "RLE header lists \(segmentCount) segments, \(bitsAllocated)-bit grayscale needs \(planes)")
        }
        var output = [Int32](repeating: 0, count: pixels)
        for plane in 0..<planes {
            let start = header(1 + plane)
            let end = plane + 1 < segmentCount ? header(2 + plane) : frame.count
            guard start >= 64, start <= end, end <= frame.count else {
                throw PixelDataError(.damagedCompressedData, detail: "RLE segment \(plane + 1) spans bytes \(start)..<\(end) of \(frame.count)")
            }
            let shift = Int32(8 * (planes - 1 - plane))
            let written = frame.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    var input = start, written = 0
                    while written < pixels && input < end {
                        let control = Int8(bitPattern: source[input])
                        input += 1
                        if control >= 0 {
                            let count = Int(control) + 1
                            guard input + count <= end else { break }
                            for i in 0..<min(count, pixels - written) {
                                target[written + i] |= Int32(source[input + i]) << shift
                            }
                            written += min(count, pixels - written)
                            input += count
                        } else if control != -128 {
                            guard input < end else { break }
                            let count = 1 - Int(control)
                            let value = Int32(source[input]) << shift
                            input += 1
                            for i in 0..<min(count, pixels - written) {
                                target[written + i] |= value
                            }
                            written += min(count, pixels - written)
                        }
                    }
                    return written
                }
            }
            guard written == pixels else {
                throw PixelDataError(.damagedCompressedData, detail: "RLE segment \(plane + 1) gives \(written) of \(pixels) bytes")
            }
        }
        return output
    }
}
