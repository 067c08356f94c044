/// What the frame header of a JPEG-family codestream says, found by walking its marker
/// segments: which process (SOF marker), sample precision, size and component count.
struct JPEGFrameHeader: Sendable, Hashable {
    /// The SOF marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive,
    /// 0xC3 lossless (process 14), 0xF7 JPEG-LS.
    let marker: UInt8
    let precision: Int
    let height: Int
    let width: Int
    let components: Int

    var processName: String {
        switch marker {
        case 0xC0: "baseline (process 1)"
        case 0xC1: "extended (process 2/4)"
        case 0xC2: "progressive (process 10/12)"
        case 0xC3: "lossless (process 14)"
        case 0xF7: "JPEG-LS"
        default: "SOF marker 0x\(String(marker, radix: 16, uppercase: true))"
        }
    }

    /// Reads marker segments from SOI up to the first frame header.
    static func read(_ data: [UInt8]) throws(PixelDataError) -> JPEGFrameHeader {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG data does not start with SOI (FFD8)")
        }
        var position = 2
        while position + 4 <= data.count {
            guard data[position] == 0xFF else {
                throw PixelDataError(.damagedCompressedData, detail: "expected a JPEG marker at byte \(position)")
            }
            let marker = data[position + 1]
            if marker == 0xFF { position += 1; continue }
            let length = Int(data[position + 2]) << 8 | Int(data[position + 3])
            guard length >= 2, position + 2 + length <= data.count else {
                throw PixelDataError(.damagedCompressedData, detail: "JPEG marker segment at byte \(position) runs past the end")
            }
            let isFrameHeader = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrameHeader || marker == 0xF7 {
                guard length >= 8 else {
                    throw PixelDataError(.damagedCompressedData, detail: "JPEG frame header is \(length) bytes")
                }
                let base = position + 4
                return JPEGFrameHeader(
                    marker: marker, precision: Int(data[base]),
                    height: Int(data[base + 1]) << 8 | Int(data[base + 2]),
                    width: Int(data[base + 3]) << 8 | Int(data[base + 4]),
                    components: Int(data[base + 5])
                )
            }
            if marker == 0xDA || marker == 0xD9 { break }
            position += 2 + length
        }
        throw PixelDataError(.damagedCompressedData, detail: "JPEG data has no frame header")
    }
}
