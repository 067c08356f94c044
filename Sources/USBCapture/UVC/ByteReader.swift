/// Little-endian reads from descriptor and control bytes (USB is little-endian throughout).
struct ByteReader {
    let bytes: [UInt8]
    let base: Int

    init(_ bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    init(_ slice: ArraySlice<UInt8>) {
        self.bytes = Array(slice)
        self.base = 0
    }

    var count: Int { bytes.count }

    func u8(_ offset: Int) -> UInt8 {
        offset < bytes.count ? bytes[offset] : 0
    }

    func u16(_ offset: Int) -> UInt16 {
        UInt16(u8(offset)) | UInt16(u8(offset + 1)) << 8
    }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16
    }

    func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32
    }

    func slice(_ offset: Int, _ length: Int) -> [UInt8] {
        guard offset < bytes.count else { return [] }
        return Array(bytes[offset..<min(bytes.count, offset + length)])
    }
}

/// Little-endian writes for control requests.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(count: Int) {
        bytes = [UInt8](repeating: 0, count: count)
    }

    mutating func u8(_ offset: Int, _ value: UInt8) {
        guard offset < bytes.count else { return }
        bytes[offset] = value
    }

    mutating func u16(_ offset: Int, _ value: UInt16) {
        u8(offset, UInt8(value & 0xFF))
        u8(offset + 1, UInt8(value >> 8))
    }

    mutating func u32(_ offset: Int, _ value: UInt32) {
        u16(offset, UInt16(value & 0xFFFF))
        u16(offset + 2, UInt16(value >> 16))
    }

    mutating func u64(_ offset: Int, _ value: UInt64) {
        u32(offset, UInt32(value & 0xFFFF_FFFF))
        u32(offset + 4, UInt32(value >> 32))
    }
}
