/// Hand-made explicit VR little endian encodings, for data sets the writer cannot make
/// (sequences, hostile lengths, deep nesting).
enum ElementBytes {
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    static func tag(_ group: UInt16, _ element: UInt16) -> [UInt8] { le16(group) + le16(element) }

    /// One explicit VR element; `length` overrides the real value length (for hostile input).
    static func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
        var value = value
        if length == nil && value.count % 2 == 1 { value.append(vr == "UI" || vr == "OB" ? 0 : 0x20) }
        let long = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].contains(vr)
        let size = length ?? UInt32(value.count)
        var output = tag(group, element) + Array(vr.utf8)
        output += long ? [0, 0] + le32(size) : le16(UInt16(truncatingIfNeeded: size))
        return output + value
    }

    static func text(_ group: UInt16, _ element: UInt16, _ vr: String, _ text: String) -> [UInt8] {
        self.element(group, element, vr, Array(text.utf8))
    }

    static func us(_ group: UInt16, _ element: UInt16, _ values: UInt16...) -> [UInt8] {
        self.element(group, element, "US", values.flatMap(le16))
    }

    /// A sequence of undefined length with undefined-length items.
    static func sequence(_ group: UInt16, _ element: UInt16, items: [[UInt8]]) -> [UInt8] {
        var output = tag(group, element) + Array("SQ".utf8) + [0, 0] + le32(0xFFFF_FFFF)
        for item in items {
            output += tag(0xFFFE, 0xE000) + le32(0xFFFF_FFFF) + item + tag(0xFFFE, 0xE00D) + le32(0)
        }
        return output + tag(0xFFFE, 0xE0DD) + le32(0)
    }

    /// Preamble, DICM and a minimal meta group naming `syntax`, ahead of `dataSet`.
    static func part10(_ dataSet: [UInt8], syntax: String = "1.2.840.10008.1.2.1") -> [UInt8] {
        var meta = element(0x0002, 0x0001, "OB", [0, 1])
        meta += text(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7")
        meta += text(0x0002, 0x0003, "UI", "1.2.3.4.5")
        meta += text(0x0002, 0x0010, "UI", syntax)
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + element(0x0002, 0x0000, "UL", le32(UInt32(meta.count))) + meta + dataSet
    }

    /// Identification and image pixel attributes of a small grayscale image.
    static func imageHeader(rows: UInt16, columns: UInt16, bitsAllocated: UInt16 = 16, bitsStored: UInt16 = 12, signed: Bool = false, frames: Int = 1, photometric: String = "MONOCHROME2") -> [UInt8] {
        var output = text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7")
        output += text(0x0008, 0x0018, "UI", "1.2.3.4.5")
        output += text(0x0020, 0x000D, "UI", "1.2.3.4")
        output += us(0x0028, 0x0002, 1)
        output += text(0x0028, 0x0004, "CS", photometric)
        if frames != 1 { output += text(0x0028, 0x0008, "IS", String(frames)) }
        output += us(0x0028, 0x0010, rows) + us(0x0028, 0x0011, columns)
        output += us(0x0028, 0x0100, bitsAllocated) + us(0x0028, 0x0101, bitsStored) + us(0x0028, 0x0102, bitsStored - 1)
        output += us(0x0028, 0x0103, signed ? 1 : 0)
        return output
    }
}
