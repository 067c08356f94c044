/// A bounds-checked reader over a byte buffer in a chosen byte order.
struct ByteCursor {
    let bytes: [UInt8]
    var offset: Int
    var bigEndian: Bool

    init(_ bytes: [UInt8], offset: Int = 0, bigEndian: Bool = false) {
        self.bytes = bytes
        self.offset = offset
        self.bigEndian = bigEndian
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    func require(_ count: Int, tag: Tag? = nil) throws(DICOMParseError) {
        if count > remaining {
            throw DICOMParseError(
                .truncated, offset: offset, tag: tag,
                detail: "needs \(count) bytes, \(remaining) left"
            )
        }
    }

    mutating func uint16() throws(DICOMParseError) -> UInt16 {
        try require(2)
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        offset += 2
        return bigEndian ? (a << 8 | b) : (b << 8 | a)
    }

    mutating func uint32() throws(DICOMParseError) -> UInt32 {
        try require(4)
        var value: UInt32 = 0
        for i in 0..<4 {
            let byte = UInt32(bytes[offset + (bigEndian ? i : 3 - i)])
            value = value << 8 | byte
        }
        offset += 4
        return value
    }

    mutating func tag() throws(DICOMParseError) -> Tag {
        let group = try uint16()
        let element = try uint16()
        return Tag(group, element)
    }

    func peekTag() -> Tag? {
        guard remaining >= 4 else { return nil }
        var copy = self
        return try? copy.tag()
    }

    mutating func skip(_ count: Int, tag: Tag? = nil) throws(DICOMParseError) {
        try require(count, tag: tag)
        offset += count
    }
}
