/// Encodes one data element in a data set's own encoding (explicit or implicit VR, either byte
/// order), padding the value to even length the way its VR requires: what the Part 10 writer
/// and de-identification write.
public struct DataElementEncoder: Sendable {
    public let explicit: Bool
    public let bigEndian: Bool

    /// Explicit VR little endian: the file meta group and every file the box makes.
    public static let explicitLittleEndian = DataElementEncoder(explicit: true, bigEndian: false)

    public init(explicit: Bool, bigEndian: Bool) {
        self.explicit = explicit
        self.bigEndian = bigEndian
    }

    public func encode(_ tag: Tag, _ vr: ValueRepresentation, text: String) -> [UInt8] {
        encode(tag, vr, value: Array(text.utf8))
    }

    /// `value` is text for text VRs, else bytes already in the data set's byte order.
    public func encode(_ tag: Tag, _ vr: ValueRepresentation, value: [UInt8]) -> [UInt8] {
        var value = value
        if value.count % 2 == 1 { value.append(vr.isText && vr != .UI ? 0x20 : 0x00) }
        var bytes = uint16(tag.group) + uint16(tag.element)
        if explicit {
            bytes += Array(vr.rawValue.utf8)
            if vr.hasLongLength {
                bytes += [0, 0] + uint32(UInt32(value.count))
            } else {
                bytes += uint16(UInt16(value.count))
            }
        } else {
            bytes += uint32(UInt32(value.count))
        }
        return bytes + value
    }

    private func uint16(_ value: UInt16) -> [UInt8] {
        let bytes = [UInt8(value & 0xFF), UInt8(value >> 8)]
        return bigEndian ? bytes.reversed() : bytes
    }

    private func uint32(_ value: UInt32) -> [UInt8] {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        return bigEndian ? bytes.reversed() : bytes
    }
}
