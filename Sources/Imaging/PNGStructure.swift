/// Checks a PNG file's chunk structure (PNG specification, 3rd edition, section 5): signature,
/// IHDR first, every chunk's CRC, at least one IDAT, IEND last.
enum PNGStructure {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func validate(_ bytes: [UInt8]) throws(ImagingError) -> RasterFileInfo {
        guard bytes.starts(with: signature) else { throw ImagingError(.notPNG) }
        var offset = signature.count
        var header: RasterFileInfo?
        var sawData = false
        var index = 0
        while true {
            guard offset + 12 <= bytes.count else {
                throw ImagingError(.truncatedPNG, detail: "file ends inside chunk \(index) at byte \(offset)")
            }
            let length = Int(readUInt32(bytes, offset))
            guard length <= 0x7FFF_FFFF, offset + 12 + length <= bytes.count else {
                throw ImagingError(.truncatedPNG, detail: "chunk \(index) claims \(length) bytes, file ends first")
            }
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let stored = readUInt32(bytes, offset + 8 + length)
            let computed = CRC32.checksum(bytes[offset + 4..<offset + 8 + length])
            guard stored == computed else {
                throw ImagingError(.damagedPNG, detail: "CRC mismatch in \(type) chunk at byte \(offset)")
            }
            if index == 0 {
                guard type == "IHDR", length == 13 else {
                    throw ImagingError(.damagedPNG, detail: "first chunk is \(type), not IHDR")
                }
                let width = Int(readUInt32(bytes, offset + 8)), height = Int(readUInt32(bytes, offset + 12))
                let bitDepth = Int(bytes[offset + 16]), colorType = bytes[offset + 17]
                let channels: Int
                switch colorType {
                case 0: channels = 1
                case 2: channels = 3
                case 3: channels = 1
                case 4: channels = 2
                case 6: channels = 4
                default: throw ImagingError(.damagedPNG, detail: "colour type \(colorType)")
                }
                guard width > 0, height > 0, [1, 2, 4, 8, 16].contains(bitDepth) else {
                    throw ImagingError(.damagedPNG, detail: "IHDR \(width)x\(height), bit depth \(bitDepth)")
                }
                header = RasterFileInfo(kind: .png, width: width, height: height, bitDepth: bitDepth, channels: channels)
            }
            if type == "IDAT" { sawData = true }
            offset += 12 + length
            index += 1
            if type == "IEND" { break }
        }
        guard sawData, let header else {
            throw ImagingError(.damagedPNG, detail: "no IDAT chunk")
        }
        return header
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

/// CRC-32 as PNG and zlib use it (polynomial 0xEDB88320, reflected).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
