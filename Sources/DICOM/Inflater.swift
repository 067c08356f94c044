import CZlib

/// zlib's inflate with its return codes turned into ``DICOMParseError`` in this one place.
enum Inflater {
    /// Inflates a deflated data set (raw deflate, or with a zlib header when a writer added one),
    /// refusing to produce more than `limit` bytes.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int, offset: Int) throws(DICOMParseError) -> [UInt8] {
        // Raw deflate can begin with bytes that look like a zlib header; then raw is tried too.
        if hasZlibHeader(input), let output = try? inflate(input, windowBits: 15, limit: limit, offset: offset) {
            return output
        }
        return try inflate(input, windowBits: -15, limit: limit, offset: offset)
    }

    private static func inflate(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int, offset: Int) throws(DICOMParseError) -> [UInt8] {
        var stream = z_stream()
        guard fb_inflate_init(&stream, windowBits) == Z_OK else {
            throw DICOMParseError(.damagedDeflate, offset: offset, detail: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(max(input.count * 4, 64 * 1024), limit + 1))
        var produced = 0
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while status == Z_OK {
                if produced == output.count {
                    if output.count > limit { break }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
                }
                output.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress! + produced
                    stream.avail_out = UInt32(target.count - produced)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = target.count - Int(stream.avail_out)
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        if produced > limit {
            throw DICOMParseError(.inflatedTooLarge, offset: offset, detail: "more than \(limit) bytes")
        }
        switch status {
        case Z_STREAM_END:
            break
        case Z_OK, Z_BUF_ERROR:
            throw DICOMParseError(.truncated, offset: offset, detail: "deflated data ends before the end of the stream")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DICOMParseError(.damagedDeflate, offset: offset + Int(stream.total_in), detail: message)
        }
        output.removeSubrange(produced...)
        return output
    }

    /// RFC 1950 header: compression method 8 and a check value divisible by 31.
    private static func hasZlibHeader(_ input: ArraySlice<UInt8>) -> Bool {
        guard input.count >= 2 else { return false }
        let first = input[input.startIndex], second = input[input.startIndex + 1]
        return first & 0x0F == 8 && first >> 4 <= 7 && (UInt16(first) << 8 | UInt16(second)) % 31 == 0
    }
}
