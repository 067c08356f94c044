/// Parses data set bytes into a ``DataSet``: every element, nested sequences and items, and
/// encapsulated pixel data, in implicit or explicit VR and either byte order.
///
/// Damage is handled the way dcmtk and pydicom do where they agree: odd value lengths are read
/// as they are; an unknown VR of two capital letters is read as UN with a 4-byte length (dcmtk);
/// VR bytes that are not letters mean the writer slipped into implicit VR for that element
/// (pydicom); an undefined-length UN holds implicit VR little endian items (CP-246). Every length
/// is checked against the bytes that are left, and depth and element count are bounded by
/// ``DICOMReadLimits``.
struct DataSetReader {
    enum Encoding {
        case implicitLittle, explicitLittle, explicitBig

        var isExplicit: Bool { self != .implicitLittle }
        var isBigEndian: Bool { self == .explicitBig }
    }

    private enum Context {
        case topLevel, definedLengthItem, undefinedLengthItem
    }

    private let bytes: [UInt8]
    private let limits: DICOMReadLimits
    private var elementCount = 0

    init(bytes: [UInt8], limits: DICOMReadLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Reads from `offset` to the end of the bytes.
    mutating func readDataSet(from offset: Int, encoding: Encoding) throws(DICOMParseError) -> DataSet {
        var position = offset
        return try readElements(&position, end: bytes.count, encoding: encoding, depth: 0, context: .topLevel, characterSet: .default)
    }

    // MARK: - Elements

    private mutating func readElements(
        _ position: inout Int, end: Int, encoding: Encoding, depth: Int, context: Context,
        characterSet inherited: SpecificCharacterSet
    ) throws(DICOMParseError) -> DataSet {
        var elements: [DICOMElement] = []
        var characterSet = inherited
        while position < end {
            if context == .topLevel && end - position < 4 {
                // Trailing padding shorter than a tag, as dcmtk and pydicom tolerate.
                position = end
                break
            }
            guard end - position >= 4 else {
                throw DICOMParseError(.truncated, offset: position, detail: "item ends inside an element header")
            }
            let tag = peekTag(at: position, bigEndian: encoding.isBigEndian)
            if tag == .itemDelimitation {
                guard context == .undefinedLengthItem else {
                    throw DICOMParseError(.badDelimiter, offset: position, tag: tag, detail: "item delimiter outside an undefined-length item")
                }
                try require(8, at: position, end: end, tag: tag)
                position += 8
                return DataSet(elements: elements, isBigEndian: encoding.isBigEndian, characterSet: characterSet)
            }
            if tag.group == 0xFFFE {
                throw DICOMParseError(.badDelimiter, offset: position, tag: tag, detail: "delimiter where a data element belongs")
            }
            let element = try readElement(&position, end: end, encoding: encoding, depth: depth, characterSet: characterSet)
            if element.tag == .specificCharacterSet, let value = element.bytes {
                characterSet = SpecificCharacterSet(attributeValue: DICOMText.trimmed(value, vr: .CS, characterSet: .default))
            }
            elements.append(element)
        }
        if context == .undefinedLengthItem {
            throw DICOMParseError(.truncated, offset: position, detail: "undefined-length item has no item delimiter")
        }
        return DataSet(elements: elements, isBigEndian: encoding.isBigEndian, characterSet: characterSet)
    }

    private mutating func readElement(
        _ position: inout Int, end: Int, encoding: Encoding, depth: Int, characterSet: SpecificCharacterSet
    ) throws(DICOMParseError) -> DICOMElement {
        try countElement(at: position)
        let header = position
        let bigEndian = encoding.isBigEndian
        try require(8, at: position, end: end, tag: nil)
        let tag = peekTag(at: position, bigEndian: bigEndian)
        position += 4
        var vr: ValueRepresentation
        var explicitElement = encoding.isExplicit
        let rawLength: UInt32
        if encoding.isExplicit {
            let first = bytes[position], second = bytes[position + 1]
            if let parsed = ValueRepresentation(bytes: first, second) {
                vr = parsed
                position += 2
                if vr.hasLongLength {
                    try require(6, at: position, end: end, tag: tag)
                    position += 2
                    rawLength = uint32(at: position, bigEndian: bigEndian)
                    position += 4
                } else {
                    rawLength = UInt32(uint16(at: position, bigEndian: bigEndian))
                    position += 2
                }
            } else if Self.isCapitalLetter(first) && Self.isCapitalLetter(second) {
                // A VR this reader does not know: dcmtk reads it as UN with the 4-byte length
                // every VR added since 2007 uses.
                vr = .UN
                position += 2
                try require(6, at: position, end: end, tag: tag)
                position += 2
                rawLength = uint32(at: position, bigEndian: bigEndian)
                position += 4
            } else {
                // No VR at all: an implicit VR element inside an explicit VR data set (pydicom's
                // "assume implicit VR switch"); the four bytes are its length.
                explicitElement = false
                vr = DataDictionary.vr(for: tag) ?? .UN
                rawLength = uint32(at: position, bigEndian: bigEndian)
                position += 4
            }
        } else {
            vr = DataDictionary.vr(for: tag) ?? .UN
            rawLength = uint32(at: position, bigEndian: bigEndian)
            position += 4
        }

        if rawLength == 0xFFFF_FFFF {
            if tag == .pixelData {
                let pixels = try readFragments(&position, end: end, tag: tag)
                return DICOMElement(tag: tag, vr: vr == .OW ? .OW : .OB, value: .encapsulated(pixels), hasUndefinedLength: true, offset: header)
            }
            let itemEncoding: Encoding
            switch vr {
            case .SQ:
                itemEncoding = explicitElement ? encoding : .implicitLittle
            case .UN:
                // CP-246: an undefined-length UN is a sequence in implicit VR little endian.
                itemEncoding = .implicitLittle
                vr = .SQ
            default:
                throw DICOMParseError(.undefinedLengthNotAllowed, offset: header, tag: tag, detail: "VR \(vr.rawValue)")
            }
            let items = try readSequence(&position, end: end, definedEnd: nil, encoding: itemEncoding, depth: depth + 1, tag: tag, characterSet: characterSet)
            return DICOMElement(tag: tag, vr: .SQ, value: .sequence(items), hasUndefinedLength: true, offset: header)
        }

        let length = Int(rawLength)
        guard length <= end - position else {
            throw DICOMParseError(
                .valueLengthExceedsData, offset: header, tag: tag,
                detail: "length \(length), \(end - position) bytes left"
            )
        }
        let valueEnd = position + length
        if vr == .SQ {
            let items = try readSequence(&position, end: valueEnd, definedEnd: valueEnd, encoding: explicitElement ? encoding : .implicitLittle, depth: depth + 1, tag: tag, characterSet: characterSet)
            position = valueEnd
            return DICOMElement(tag: tag, vr: .SQ, value: .sequence(items), hasUndefinedLength: false, offset: header)
        }
        if vr == .UN, !explicitElement, length >= 8, tag.group != 0x7FE0,
           peekTag(at: position, bigEndian: false) == .item {
            // An implicit VR element the dictionary does not know whose value starts with an
            // item tag: a private sequence. Read it as one if it parses, else keep the bytes.
            var attempt = self
            var probe = position
            if let items = try? attempt.readSequence(&probe, end: valueEnd, definedEnd: valueEnd, encoding: .implicitLittle, depth: depth + 1, tag: tag, characterSet: characterSet) {
                elementCount = attempt.elementCount
                position = valueEnd
                return DICOMElement(tag: tag, vr: .SQ, value: .sequence(items), hasUndefinedLength: false, offset: header)
            }
        }
        position = valueEnd
        return DICOMElement(tag: tag, vr: vr, value: .bytes(bytes[valueEnd - length..<valueEnd]), hasUndefinedLength: false, offset: header)
    }

    // MARK: - Sequences

    private mutating func readSequence(
        _ position: inout Int, end: Int, definedEnd: Int?, encoding: Encoding, depth: Int, tag: Tag,
        characterSet: SpecificCharacterSet
    ) throws(DICOMParseError) -> [DataSet] {
        if depth > limits.maximumSequenceDepth {
            throw DICOMParseError(.sequenceTooDeep, offset: position, tag: tag, detail: "more than \(limits.maximumSequenceDepth) levels")
        }
        var items: [DataSet] = []
        while true {
            if let definedEnd, position >= definedEnd { return items }
            try countElement(at: position)
            try require(8, at: position, end: end, tag: tag)
            let at = position
            let itemTag = peekTag(at: position, bigEndian: encoding.isBigEndian)
            let itemLength = uint32(at: position + 4, bigEndian: encoding.isBigEndian)
            position += 8
            if itemTag == .sequenceDelimitation {
                if definedEnd == nil { return items }
                throw DICOMParseError(.badDelimiter, offset: at, tag: tag, detail: "sequence delimiter inside a defined-length sequence")
            }
            guard itemTag == .item else {
                throw DICOMParseError(.badDelimiter, offset: at, tag: tag, detail: "expected an item, found \(itemTag)")
            }
            if itemLength == 0xFFFF_FFFF {
                items.append(try readElements(&position, end: end, encoding: encoding, depth: depth, context: .undefinedLengthItem, characterSet: characterSet))
            } else {
                let length = Int(itemLength)
                guard length <= end - position else {
                    throw DICOMParseError(.valueLengthExceedsData, offset: at, tag: tag, detail: "item length \(length), \(end - position) bytes left")
                }
                let itemEnd = position + length
                items.append(try readElements(&position, end: itemEnd, encoding: encoding, depth: depth, context: .definedLengthItem, characterSet: characterSet))
                position = itemEnd
            }
        }
    }

    /// Encapsulated pixel data: items of defined length up to the sequence delimiter (PS3.5 A.4).
    private mutating func readFragments(_ position: inout Int, end: Int, tag: Tag) throws(DICOMParseError) -> EncapsulatedPixelData {
        var offsetTable: [UInt32] = []
        var fragments: [ArraySlice<UInt8>] = []
        var fragmentOffsets: [Int] = []
        var first = true
        var firstFragmentStart: Int?
        while true {
            try countElement(at: position)
            try require(8, at: position, end: end, tag: tag)
            let at = position
            // Encapsulated syntaxes are all little endian.
            let itemTag = peekTag(at: position, bigEndian: false)
            let itemLength = uint32(at: position + 4, bigEndian: false)
            position += 8
            if itemTag == .sequenceDelimitation { break }
            guard itemTag == .item, itemLength != 0xFFFF_FFFF else {
                throw DICOMParseError(.badDelimiter, offset: at, tag: tag, detail: "damaged pixel data fragment (\(itemTag))")
            }
            let length = Int(itemLength)
            guard length <= end - position else {
                throw DICOMParseError(.valueLengthExceedsData, offset: at, tag: tag, detail: "fragment length \(length), \(end - position) bytes left")
            }
            let value = bytes[position..<position + length]
            position += length
            if first {
                first = false
                offsetTable = BinaryValues.uint32(value, bigEndian: false)
                continue
            }
            let start = firstFragmentStart ?? at
            firstFragmentStart = start
            fragments.append(value)
            fragmentOffsets.append(at - start)
        }
        return EncapsulatedPixelData(offsetTable: offsetTable, fragments: fragments, fragmentOffsets: fragmentOffsets)
    }

    // MARK: - Bytes

    private mutating func countElement(at position: Int) throws(DICOMParseError) {
        elementCount += 1
        if elementCount > limits.maximumElements {
            throw DICOMParseError(.tooManyElements, offset: position, detail: "more than \(limits.maximumElements)")
        }
    }

    private func require(_ count: Int, at position: Int, end: Int, tag: Tag?) throws(DICOMParseError) {
        if count > end - position {
            throw DICOMParseError(.truncated, offset: position, tag: tag, detail: "needs \(count) bytes, \(max(0, end - position)) left")
        }
    }

    private func peekTag(at position: Int, bigEndian: Bool) -> Tag {
        Tag(uint16(at: position, bigEndian: bigEndian), uint16(at: position + 2, bigEndian: bigEndian))
    }

    private func uint16(at position: Int, bigEndian: Bool) -> UInt16 {
        let a = UInt16(bytes[position]), b = UInt16(bytes[position + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    private func uint32(at position: Int, bigEndian: Bool) -> UInt32 {
        let a = UInt32(uint16(at: position, bigEndian: bigEndian)), b = UInt32(uint16(at: position + 2, bigEndian: bigEndian))
        return bigEndian ? a << 16 | b : b << 16 | a
    }

    private static func isCapitalLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) }
}
