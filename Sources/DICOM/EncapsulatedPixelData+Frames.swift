extension EncapsulatedPixelData {
    /// The compressed bytes of each frame (PS3.5 A.4): one frame takes every fragment; otherwise
    /// the Basic Offset Table says where frames start, or one fragment per frame, or (JPEG
    /// family without a table) a new frame at each fragment that begins a codestream.
    func frames(count: Int) throws(PixelDataError) -> [[UInt8]] {
        guard !fragments.isEmpty else {
            throw PixelDataError(.pixelDataTooShort, detail: "encapsulated pixel data has no fragments")
        }
        if count == 1 {
            return [fragments.count == 1 ? Array(fragments[0]) : fragments.reduce(into: []) { $0 += $1 }]
        }
        var starts: [Int]
        if offsetTable.count == count {
            starts = []
            for offset in offsetTable {
                guard let index = fragmentOffsets.firstIndex(of: Int(offset)) else {
                    throw PixelDataError(.damagedCompressedData, detail: "Basic Offset Table entry \(offset) is not the start of a fragment")
                }
                starts.append(index)
            }
            guard starts == starts.sorted(), starts.first == 0 else {
                throw PixelDataError(.damagedCompressedData, detail: "Basic Offset Table entries are out of order")
            }
        } else if fragments.count == count {
            starts = Array(0..<count)
        } else {
            starts = fragments.indices.filter { index in
                let fragment = fragments[index]
                guard fragment.count >= 2 else { return false }
                let first = fragment[fragment.startIndex], second = fragment[fragment.startIndex + 1]
                return first == 0xFF && (second == 0xD8 || second == 0x4F)
            }
            guard starts.count == count, starts.first == 0 else {
                throw PixelDataError(
                    .damagedCompressedData,
                    detail: "\(fragments.count) fragments cannot be split into \(count) frames (no usable offset table)"
                )
            }
        }
        var frames: [[UInt8]] = []
        for (position, start) in starts.enumerated() {
            let end = position + 1 < starts.count ? starts[position + 1] : fragments.count
            frames.append(fragments[start..<end].reduce(into: []) { $0 += $1 })
        }
        return frames
    }
}
