/// A parsed data set (or one sequence item): its elements in stream order, found by tag.
///
/// Values stay as the bytes the file held; typed accessors decode them on demand with the data
/// set's byte order and character set.
public struct DataSet: Sendable {
    /// Every element in the order it was read; a tag that occurs twice (a damaged file) is kept twice.
    public private(set) var elements: [DICOMElement]
    private var positions: [Tag: Int]
    /// Binary values are big endian (Explicit VR Big Endian).
    public let isBigEndian: Bool
    /// The Specific Character Set in force for this data set (inherited by items without their own).
    public let characterSet: SpecificCharacterSet

    init(elements: [DICOMElement], isBigEndian: Bool, characterSet: SpecificCharacterSet) {
        self.elements = elements
        self.isBigEndian = isBigEndian
        self.characterSet = characterSet
        var positions: [Tag: Int] = [:]
        positions.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() where positions[element.tag] == nil {
            positions[element.tag] = index
        }
        self.positions = positions
    }

    /// The first element with this tag.
    public subscript(tag: Tag) -> DICOMElement? {
        positions[tag].map { elements[$0] }
    }

    public func contains(_ tag: Tag) -> Bool { positions[tag] != nil }

    /// Text values split at backslashes (for VRs that allow several), padding removed.
    public func strings(_ tag: Tag) -> [String]? {
        guard let element = self[tag], let bytes = element.bytes else { return nil }
        let text = DICOMText.trimmed(bytes, vr: element.vr.isText ? element.vr : .LO, characterSet: characterSet)
        if text.isEmpty { return [] }
        switch element.vr {
        case .LT, .ST, .UT, .UR: return [text]
        default:
            return text.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " ") }
        }
    }

    /// The first text value, nil when absent or empty.
    public func string(_ tag: Tag) -> String? {
        guard let first = strings(tag)?.first, !first.isEmpty else { return nil }
        return first
    }

    /// Numeric values of a binary (US, SS, UL, SL, FL, FD, OW, …) or decimal-text (DS, IS) element.
    ///
    /// Nil when absent; throws when present but not numbers, so a damaged attribute is reported
    /// rather than read as a default.
    public func numbers(_ tag: Tag) throws(DICOMAttributeError) -> [Double]? {
        guard let element = self[tag] else { return nil }
        guard let bytes = element.bytes else {
            throw DICOMAttributeError(tag: tag, problem: "is a sequence, not a number")
        }
        switch element.vr {
        case .DS, .IS:
            guard let texts = strings(tag) else { return nil }
            var values: [Double] = []
            for text in texts where !text.isEmpty {
                guard let value = Double(text), value.isFinite else {
                    throw DICOMAttributeError(tag: tag, problem: "holds \"\(DICOMUID.printable(text))\", not a number")
                }
                if element.vr == .IS, value != value.rounded() {
                    throw DICOMAttributeError(tag: tag, problem: "holds \"\(DICOMUID.printable(text))\", not an integer")
                }
                values.append(value)
            }
            return values
        case .US, .OW: return BinaryValues.uint16(bytes, bigEndian: isBigEndian).map(Double.init)
        case .SS: return BinaryValues.uint16(bytes, bigEndian: isBigEndian).map { Double(Int16(bitPattern: $0)) }
        case .UL, .OL: return BinaryValues.uint32(bytes, bigEndian: isBigEndian).map(Double.init)
        case .SL: return BinaryValues.uint32(bytes, bigEndian: isBigEndian).map { Double(Int32(bitPattern: $0)) }
        case .FL, .OF, .FD, .OD:
            let values = element.vr == .FL || element.vr == .OF
                ? BinaryValues.uint32(bytes, bigEndian: isBigEndian).map { Double(Float(bitPattern: $0)) }
                : BinaryValues.uint64(bytes, bigEndian: isBigEndian).map { Double(bitPattern: $0) }
            // NaN and infinity are refused as in DS: every reader of numbers does arithmetic on them.
            if let bad = values.first(where: { !$0.isFinite }) {
                throw DICOMAttributeError(tag: tag, problem: "holds \(bad), not a finite number")
            }
            return values
        case .UN, .OB:
            // Implicit VR elements missing from the dictionary: read as 16-bit, the common case.
            return BinaryValues.uint16(bytes, bigEndian: isBigEndian).map(Double.init)
        default:
            throw DICOMAttributeError(tag: tag, problem: "has VR \(element.vr.rawValue), not a number")
        }
    }

    /// The first value as an integer, nil when absent or empty.
    public func integer(_ tag: Tag) throws(DICOMAttributeError) -> Int? {
        guard let value = try numbers(tag)?.first else { return nil }
        guard value == value.rounded(), abs(value) < 1e15 else {
            throw DICOMAttributeError(tag: tag, problem: "holds \(value), not an integer")
        }
        return Int(value)
    }

    /// The items of a sequence, nil when absent.
    public func sequence(_ tag: Tag) -> [DataSet]? {
        self[tag]?.items
    }
}

/// An attribute that is present but cannot be read as what it must be.
public struct DICOMAttributeError: Error, Sendable, Hashable, CustomStringConvertible {
    public let tag: Tag
    public let problem: String

    public init(tag: Tag, problem: String) {
        self.tag = tag
        self.problem = problem
    }

    public var description: String {
        let name = DataDictionary.keyword(for: tag).map { " \($0)" } ?? ""
        return "\(tag)\(name) \(problem)"
    }
}

/// Fixed-width binary values in either byte order.
enum BinaryValues {
    static func uint16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt16] {
        var output: [UInt16] = []
        output.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            let a = UInt16(bytes[index]), b = UInt16(bytes[index + 1])
            output.append(bigEndian ? a << 8 | b : b << 8 | a)
            index += 2
        }
        return output
    }

    static func uint32(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt32] {
        integers(bytes, bigEndian: bigEndian)
    }

    static func uint64(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt64] {
        integers(bytes, bigEndian: bigEndian)
    }

    /// Whole values of `T`'s width, most significant byte first after any swap; a partial
    /// value at the end is left out.
    private static func integers<T: FixedWidthInteger & UnsignedInteger>(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [T] {
        let width = T.bitWidth / 8
        var output: [T] = []
        var index = bytes.startIndex
        while index + width - 1 < bytes.endIndex {
            var value: T = 0
            for i in 0..<width { value = value << 8 | T(bytes[index + (bigEndian ? i : width - 1 - i)]) }
            output.append(value)
            index += width
        }
        return output
    }
}
