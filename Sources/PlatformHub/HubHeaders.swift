import HTTPTypes

/// A non-negative decimal header value: digits only (no sign, space or exponent), at most what
/// an Int64 holds. nil for anything else, so a hostile value is refused, never trapped on.
func decimalHeader(_ text: Substring) -> Int64? {
    guard (1...19).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return Int64(text)
}

/// The headers of one resumable upload chunk, checked before a byte is written.
public struct UploadHeaders: Sendable, Hashable {
    public var offset: Int64
    public var length: Int64
    public var sha256: String

    /// A chunk as the headers would announce it (stores and tests).
    public init(offset: Int64, length: Int64, sha256: String) {
        self.offset = offset
        self.length = length
        self.sha256 = sha256
    }

    init(_ headers: HTTPFields, maxUploadBytes: Int64) throws(HubError) {
        try Self.refuseContentRange(headers)
        guard let lengthText = headers[.uploadLength], let length = decimalHeader(lengthText[...]), length > 0 else {
            throw HubError(.badRequest, "Upload-Length \(Self.quoted(headers[.uploadLength])) is not a positive decimal byte count")
        }
        guard length <= maxUploadBytes else {
            throw HubError(.tooLarge, "Upload-Length \(length) is more than the \(maxUploadBytes) bytes this hub accepts")
        }
        guard let offsetText = headers[.uploadOffset], let offset = decimalHeader(offsetText[...]) else {
            throw HubError(.badRequest, "Upload-Offset \(Self.quoted(headers[.uploadOffset])) is not a decimal byte offset")
        }
        guard offset < length else {
            throw HubError(.badRequest, "Upload-Offset \(offset) is at or past Upload-Length \(length)")
        }
        if let contentLength = headers[.contentLength] {
            guard let count = decimalHeader(contentLength[...]) else {
                throw HubError(.badRequest, "Content-Length \(Self.quoted(contentLength)) is not a decimal byte count")
            }
            guard count <= length - offset else {
                throw HubError(.badRequest, "a chunk of \(count) bytes at \(offset) runs past Upload-Length \(length)")
            }
        }
        guard let sha256 = headers[.contentSHA256], sha256.utf8.count == 64,
              sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw HubError(.badRequest, "Content-SHA256 \(Self.quoted(headers[.contentSHA256])) is not 64 lowercase hex digits")
        }
        self.offset = offset
        self.length = length
        self.sha256 = sha256
    }

    /// A PUT with Content-Range asks for a partial update the API does not have (RFC 9110
    /// 14.5 wants 400); uploads say where a chunk goes with Upload-Offset.
    static func refuseContentRange(_ headers: HTTPFields) throws(HubError) {
        if let range = headers[.contentRange] {
            throw HubError(.badRequest, "Content-Range \(quoted(range)) is not supported on PUT; resumable uploads use Upload-Offset and Upload-Length")
        }
    }

    static func quoted(_ value: String?) -> String {
        guard let value else { return "(missing)" }
        return "\"" + String(value.prefix(64)) + (value.count > 64 ? "…" : "") + "\""
    }
}

/// One `Range: bytes=…` of RFC 9110 14.1.2 on a resource of `size` bytes.
enum ByteRange {
    /// nil: no Range header (the whole resource). The bytes asked for, clamped to the resource;
    /// 400 for a malformed or multiple range, 416 for one that starts past the end.
    static func parse(_ header: String?, size: Int) throws(HubError) -> ClosedRange<Int>? {
        guard let header else { return nil }
        let quoted = UploadHeaders.quoted(header)
        guard header.hasPrefix("bytes=") else { throw HubError(.badRequest, "Range \(quoted) is not a bytes range") }
        let spec = header.dropFirst(6)
        guard !spec.contains(",") else { throw HubError(.badRequest, "Range \(quoted): only one range is served") }
        guard let dash = spec.firstIndex(of: "-") else { throw HubError(.badRequest, "Range \(quoted) has no \"-\"") }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        let size64 = Int64(size)
        if first.isEmpty {
            // bytes=-N: the last N bytes.
            guard let suffix = decimalHeader(last) else { throw HubError(.badRequest, "Range \(quoted) is not bytes=-N") }
            guard suffix > 0, size > 0 else { throw HubError(.rangeNotSatisfiable, "Range \(quoted) selects no bytes of \(size)") }
            return Int(size64 - min(suffix, size64))...(size - 1)
        }
        guard let start = decimalHeader(first) else { throw HubError(.badRequest, "Range \(quoted): the start is not a decimal byte position") }
        var end = size64 - 1
        if !last.isEmpty {
            guard let given = decimalHeader(last) else { throw HubError(.badRequest, "Range \(quoted): the end is not a decimal byte position") }
            guard given >= start else { throw HubError(.badRequest, "Range \(quoted) ends before it starts") }
            end = min(given, end)
        }
        guard start < size64 else {
            throw HubError(.rangeNotSatisfiable, "Range \(quoted) starts at or past the end of the \(size) bytes")
        }
        return Int(start)...Int(end)
    }
}
