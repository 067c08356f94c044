/// Walks the top-level data elements of a data set, stepping over nested sequences and
/// encapsulated pixel data without building them.
///
/// Enough for identification at intake; the bounds it enforces (depth, element count, lengths
/// against bytes left) hold for every nesting level it steps over.
struct DataSetScanner {
    static let maximumDepth = 64
    static let maximumElements = 1 << 20

    private var cursor: ByteCursor
    private let explicitVR: Bool
    private var elementCount = 0

    init(bytes: [UInt8], offset: Int, syntax: TransferSyntax) {
        cursor = ByteCursor(bytes, offset: offset, bigEndian: syntax.isBigEndian)
        explicitVR = syntax.isExplicitVR
    }

    /// The tag of the next top-level element without reading it.
    func peekTag() -> Tag? {
        cursor.peekTag()
    }

    /// The next top-level element, or nil at the end of the data.
    mutating func next() throws(DICOMParseError) -> DataElement? {
        if cursor.isAtEnd { return nil }
        // Trailing padding shorter than a tag is tolerated, as dcmtk and pydicom do.
        if cursor.remaining < 4 { return nil }
        let element = try readElement(explicitVR: explicitVR, depth: 0)
        return element
    }

    private mutating func countElement() throws(DICOMParseError) {
        elementCount += 1
        if elementCount > Self.maximumElements {
            throw DICOMParseError(
                .tooManyElements, offset: cursor.offset,
                detail: "more than \(Self.maximumElements)"
            )
        }
    }

    /// Reads one element header and steps over its value; nested sequences are skipped.
    private mutating func readElement(explicitVR: Bool, depth: Int) throws(DICOMParseError) -> DataElement {
        try countElement()
        let headerOffset = cursor.offset
        let tag = try cursor.tag()
        if tag.group == 0xFFFE {
            throw DICOMParseError(.badDelimiter, offset: headerOffset, tag: tag, detail: "delimiter outside a sequence")
        }
        var vr: ValueRepresentation?
        let rawLength: UInt32
        if explicitVR {
            try cursor.require(2, tag: tag)
            let first = cursor.bytes[cursor.offset], second = cursor.bytes[cursor.offset + 1]
            let parsed = ValueRepresentation(bytes: first, second)
            if parsed == nil && !((0x41...0x5A).contains(first) && (0x41...0x5A).contains(second)) {
                // No VR at all: an implicit VR element in an explicit data set, as DataSetReader reads it.
                vr = DataDictionary.vr(for: tag)
                rawLength = try cursor.uint32()
            } else {
                cursor.offset += 2
                // An unknown VR is read as UN, the standard's rule for VRs added after the reader was written.
                vr = parsed ?? .UN
                if vr!.hasLongLength {
                    try cursor.skip(2, tag: tag)
                    rawLength = try cursor.uint32()
                } else {
                    rawLength = UInt32(try cursor.uint16())
                }
            }
        } else {
            vr = DataDictionary.vr(for: tag)
            rawLength = try cursor.uint32()
        }
        let valueOffset = cursor.offset
        if rawLength == 0xFFFF_FFFF {
            if tag == .pixelData {
                try skipEncapsulatedFragments(tag: tag)
            } else if vr == .SQ || vr == .UN || !explicitVR || vr == nil {
                // Undefined-length UN holds implicit VR little endian items (PS3.5 section 6.2.2).
                let itemsExplicit = explicitVR && vr == .SQ
                // Implicit VR items are little endian even inside a big endian data set (CP-246).
                let savedByteOrder = cursor.bigEndian
                if !itemsExplicit { cursor.bigEndian = false }
                try skipSequence(explicitVR: itemsExplicit, depth: depth + 1, tag: tag)
                cursor.bigEndian = savedByteOrder
            } else {
                throw DICOMParseError(.undefinedLengthNotAllowed, offset: headerOffset, tag: tag, detail: "VR \(vr!.rawValue)")
            }
            return DataElement(tag: tag, vr: vr, valueOffset: valueOffset, length: nil)
        }
        let length = Int(rawLength)
        if length > cursor.remaining {
            throw DICOMParseError(
                .valueLengthExceedsData, offset: headerOffset, tag: tag,
                detail: "length \(length), \(cursor.remaining) bytes left"
            )
        }
        cursor.offset += length
        return DataElement(tag: tag, vr: vr, valueOffset: valueOffset, length: length)
    }

    private mutating func skipSequence(explicitVR: Bool, depth: Int, tag: Tag) throws(DICOMParseError) {
        if depth > Self.maximumDepth {
            throw DICOMParseError(.sequenceTooDeep, offset: cursor.offset, tag: tag, detail: "more than \(Self.maximumDepth) levels")
        }
        while true {
            let (at, delimiter, length) = try readItemHeader()
            switch delimiter {
            case .sequenceDelimitation:
                return
            case .item:
                if length == 0xFFFF_FFFF {
                    try skipItemContents(explicitVR: explicitVR, depth: depth)
                } else {
                    try cursor.skip(Int(length), tag: tag)
                }
            default:
                throw DICOMParseError(.badDelimiter, offset: at, tag: tag, detail: "expected an item, found \(delimiter)")
            }
        }
    }

    /// An item or delimiter header inside a sequence: its offset, tag and 32-bit length.
    private mutating func readItemHeader() throws(DICOMParseError) -> (Int, Tag, UInt32) {
        try countElement()
        let at = cursor.offset
        let tag = try cursor.tag()
        let length = try cursor.uint32()
        return (at, tag, length)
    }

    private mutating func skipItemContents(explicitVR: Bool, depth: Int) throws(DICOMParseError) {
        while true {
            if cursor.peekTag() == .itemDelimitation {
                try cursor.skip(8)
                return
            }
            _ = try readElement(explicitVR: explicitVR, depth: depth)
        }
    }

    private mutating func skipEncapsulatedFragments(tag: Tag) throws(DICOMParseError) {
        while true {
            let (at, delimiter, length) = try readItemHeader()
            switch delimiter {
            case .sequenceDelimitation:
                return
            case .item where length != 0xFFFF_FFFF:
                try cursor.skip(Int(length), tag: tag)
            default:
                throw DICOMParseError(.badDelimiter, offset: at, tag: tag, detail: "damaged pixel data fragment")
            }
        }
    }
}
