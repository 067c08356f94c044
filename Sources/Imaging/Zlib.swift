import CZlib

/// zlib's inflate and deflate with its return codes turned into ``ZlibError`` in this one place;
/// the DICOM reader (deflated data sets) and the PNG decoder both inflate through it, the
/// upload re-encoding deflates through it.
public enum Zlib {
    /// Inflates zlib-wrapped (RFC 1950) or raw (RFC 1951) deflate data, refusing to produce more
    /// than `limit` bytes. `.automatic` tries the zlib header when the bytes look like one, then raw.
    public enum Format: Sendable {
        case zlib
        case raw
        case automatic
    }

    public static func inflate(_ input: ArraySlice<UInt8>, format: Format, limit: Int) throws(ZlibError) -> [UInt8] {
        switch format {
        case .zlib:
            return try inflate(input, windowBits: 15, limit: limit)
        case .raw:
            return try inflate(input, windowBits: -15, limit: limit)
        case .automatic:
            // Raw deflate can begin with bytes that look like a zlib header; then raw is tried too.
            if hasZlibHeader(input), let output = try? inflate(input, windowBits: 15, limit: limit) {
                return output
            }
            return try inflate(input, windowBits: -15, limit: limit)
        }
    }

    private static func inflate(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int) throws(ZlibError) -> [UInt8] {
        var stream = z_stream()
        guard fb_inflate_init(&stream, windowBits) == Z_OK else {
            throw ZlibError(.damaged, "zlib could not start", consumed: 0)
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
            throw ZlibError(.tooLarge, "more than \(limit) bytes", consumed: Int(stream.total_in))
        }
        switch status {
        case Z_STREAM_END:
            break
        case Z_OK, Z_BUF_ERROR:
            throw ZlibError(.truncated, "deflated data ends before the end of the stream", consumed: Int(stream.total_in))
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw ZlibError(.damaged, message, consumed: Int(stream.total_in))
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Raw deflate (RFC 1951, no zlib header: what Deflated Explicit VR Little Endian carries) at
    /// `level` (1 fastest … 9 smallest). The same input and level give the same bytes with the
    /// same zlib. Nil only when zlib cannot start (out of memory).
    public static func deflateRaw(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        guard fb_deflate_init(&stream, level, -15) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        // deflateBound is enough for one Z_FINISH call to finish the stream.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// RFC 1950 header: compression method 8 and a check value divisible by 31.
    private static func hasZlibHeader(_ input: ArraySlice<UInt8>) -> Bool {
        guard input.count >= 2 else { return false }
        let first = input[input.startIndex], second = input[input.startIndex + 1]
        return first & 0x0F == 8 && first >> 4 <= 7 && (UInt16(first) << 8 | UInt16(second)) % 31 == 0
    }
}

/// Why deflated bytes could not be inflated.
public struct ZlibError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The stream ends before its end marker.
        case truncated
        /// Inflating would produce more than the caller's limit (a zip bomb, or a lie).
        case tooLarge
        /// zlib found the data invalid.
        case damaged
    }

    public let code: Code
    public let detail: String
    /// Input bytes zlib had read when it stopped.
    public let consumed: Int

    init(_ code: Code, _ detail: String, consumed: Int) {
        self.code = code
        self.detail = detail
        self.consumed = consumed
    }

    public var description: String { detail }
}
