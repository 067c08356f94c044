/// The SIZ marker segment of a JPEG 2000 codestream (ISO/IEC 15444-1 A.5.1), read by the
/// project itself before OpenJPEG sees the data.
///
/// OpenJPEG allocates its per-tile, per-component coding parameters while it reads the header:
/// a 49 KB codestream declaring 16,384 components in 16,385 tiles made it allocate gigabytes
/// (found by FuzzJPEG2000). What SIZ declares is checked here first.
struct JPEG2000SizeSegment: Equatable {
    var width: UInt32
    var height: UInt32
    var tileWidth: UInt32
    var tileHeight: UInt32
    var components: Int
    var tiles: Int
    /// Bits of the first component's samples (Ssiz).
    var precision: Int

    /// More tiles than a radiograph is ever cut into (a 4096-pixel image in 64-pixel tiles).
    static let maximumTiles = 4096

    /// Finds SOC+SIZ (the codestream's start; inside a JP2 file, the first one) and reads it.
    init(codestream data: [UInt8]) throws(PixelDataError) {
        let marker: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51]
        guard let start = data.indices.dropLast(3).first(where: { data[$0] == 0xFF && Array(data[$0..<$0 + 4]) == marker }) else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG 2000 data without a SIZ marker segment")
        }
        // SOC, SIZ, Lsiz, Rsiz, then eight 32-bit fields, Csiz and the first component's Ssiz.
        let fields = start + 8
        guard data.count >= fields + 35 else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG 2000 SIZ marker segment cut short")
        }
        func word(_ index: Int) -> UInt32 {
            let at = fields + 4 * index
            return UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3])
        }
        let (x, y, xOrigin, yOrigin) = (word(0), word(1), word(2), word(3))
        let (tileWidth, tileHeight, tileXOrigin, tileYOrigin) = (word(4), word(5), word(6), word(7))
        components = Int(data[fields + 32]) << 8 | Int(data[fields + 33])
        precision = Int(data[fields + 34] & 0x7F) + 1
        guard x > xOrigin, y > yOrigin, tileWidth > 0, tileHeight > 0, tileXOrigin <= xOrigin, tileYOrigin <= yOrigin else {
            throw PixelDataError(
                .damagedCompressedData,
                detail: "JPEG 2000 SIZ declares image \(xOrigin),\(yOrigin) to \(x),\(y) in tiles of \(tileWidth)x\(tileHeight) from \(tileXOrigin),\(tileYOrigin)"
            )
        }
        width = x - xOrigin
        height = y - yOrigin
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        let across = (UInt64(x - tileXOrigin) + UInt64(tileWidth) - 1) / UInt64(tileWidth)
        let down = (UInt64(y - tileYOrigin) + UInt64(tileHeight) - 1) / UInt64(tileHeight)
        tiles = Int(min(across * down, UInt64(Int.max)))
    }

    /// Refuses what no grayscale radiograph declares, before anything is allocated for it.
    func check(against pixels: ImagePixelDescription) throws(PixelDataError) {
        guard components == 1 else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG 2000 image with \(components) components (grayscale has 1)")
        }
        guard tiles <= Self.maximumTiles else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG 2000 SIZ declares \(tiles) tiles of \(tileWidth)x\(tileHeight); more than \(Self.maximumTiles) is not a radiograph")
        }
        try pixels.checkCodestream("JPEG 2000", width: Int(width), height: Int(height), precision: precision)
    }
}
