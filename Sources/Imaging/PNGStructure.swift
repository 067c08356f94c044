/// Checks a PNG file's chunk structure (PNG specification, 3rd edition, section 5): signature,
/// IHDR first, every chunk's CRC, at least one IDAT, IEND last.
///
/// Bytes after IEND are ignored, never parsed, as libpng does: some writers pad files, and
/// nothing after IEND belongs to the image.
enum PNGStructure {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A checked file: its header, the IHDR fields the decoder needs, and where its IDAT data lie.
    struct Layout {
        let header: RasterFileInfo
        let colourType: UInt8
        let interlace: UInt8
        /// The data of each IDAT chunk, in file order, inside the bytes that were read.
        let imageData: [Range<Int>]
    }

    static func validate(_ bytes: [UInt8]) throws(ImagingError) -> RasterFileInfo {
        try read(bytes).header
    }

    static func read(_ bytes: [UInt8]) throws(ImagingError) -> Layout {
        guard bytes.starts(with: signature) else { throw ImagingError(.notPNG) }
        var offset = signature.count
        var header: RasterFileInfo?
        var colourType: UInt8 = 0, interlace: UInt8 = 0
        var imageData: [Range<Int>] = []
        var index = 0
        while true {
            guard offset + 12 <= bytes.count else {
                throw ImagingError(.truncatedPNG, detail: "file ends inside chunk \(index) at byte \(offset)")
            }
            let length = Int(readUInt32(bytes, offset))
            // 2^31 - 1 is the specification's bound; the file's remaining bytes are the real one.
            guard length <= 0x7FFF_FFFF, length <= bytes.count - offset - 12 else {
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
                // Width and height are at most 2^31 - 1 by the specification.
                guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height), [1, 2, 4, 8, 16].contains(bitDepth) else {
                    throw ImagingError(.damagedPNG, detail: "IHDR \(width)x\(height), bit depth \(bitDepth)")
                }
                header = RasterFileInfo(kind: .png, width: width, height: height, bitDepth: bitDepth, channels: channels)
                colourType = colorType
                interlace = bytes[offset + 20]
            }
            if type == "IDAT" { imageData.append(offset + 8..<offset + 8 + length) }
            offset += 12 + length
            index += 1
            if type == "IEND" { break }
        }
        guard !imageData.isEmpty, let header else {
            throw ImagingError(.damagedPNG, detail: "no IDAT chunk")
        }
        return Layout(header: header, colourType: colourType, interlace: interlace, imageData: imageData)
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
