/// A Modality or VOI LUT (PS3.3 C.11.1): values below the first mapped input take the first
/// entry, values past the last take the last.
public struct LookupTable: Sendable, Hashable {
    public let firstMapped: Int
    /// Bits of each output entry (LUT Descriptor value 3).
    public let bits: Int
    public let entries: [Int]

    public init(firstMapped: Int, bits: Int, entries: [Int]) {
        self.firstMapped = firstMapped
        self.bits = bits
        self.entries = entries
    }

    @inline(__always)
    public func apply(_ value: Int) -> Int {
        let index = value - firstMapped
        if index <= 0 { return entries[0] }
        if index >= entries.count { return entries[entries.count - 1] }
        return entries[index]
    }

    /// Reads LUT Descriptor (0028,3002) and LUT Data (0028,3006) from a sequence item.
    init(item: DataSet, signedInput: Bool, name: String) throws(PixelDataError) {
        let descriptor: [Double]
        do {
            descriptor = try item.numbers(Tag(0x0028, 0x3002)) ?? []
        } catch {
            throw PixelDataError(.badLUT, detail: "\(name): \(error)")
        }
        guard descriptor.count == 3 else {
            throw PixelDataError(.badLUT, detail: "\(name): LUT Descriptor has \(descriptor.count) values, not 3")
        }
        // Each value is US (or SS) in the standard, but a file can say FD or DS and hold 1e19 or
        // a fraction: only whole numbers in the 16-bit ranges are read, never converted blindly.
        guard let declaredCount = Int(exactly: descriptor[0]), (0...65_535).contains(declaredCount),
              var first = Int(exactly: descriptor[1]), (-32_768...65_535).contains(first),
              let bits = Int(exactly: descriptor[2]), (1...16).contains(bits) else {
            throw PixelDataError(
                .badLUT,
                detail: "\(name): LUT Descriptor \(descriptor.map { "\($0)" }.joined(separator: "\\")) is not entries (0–65535), first mapped value, bits (1–16)"
            )
        }
        let count = declaredCount == 0 ? 65_536 : declaredCount
        // The first-mapped value is US or SS depending on the pixel representation.
        if signedInput && first > 32_767 { first -= 65_536 }
        guard let data = item[Tag(0x0028, 0x3006)]?.bytes else {
            throw PixelDataError(.badLUT, detail: "\(name): LUT Data (0028,3006) is missing")
        }
        let words = BinaryValues.uint16(data, bigEndian: item.isBigEndian).map(Int.init)
        var entries = words
        if bits <= 8 && words.count * 2 == count {
            // 8-bit entries packed two to a word (PS3.3 C.11.1.1.1), low byte first.
            entries = words.flatMap { [$0 & 0xFF, $0 >> 8] }
        }
        guard entries.count >= count, count > 0 else {
            throw PixelDataError(.badLUT, detail: "\(name): LUT Descriptor says \(count) entries, LUT Data holds \(entries.count)")
        }
        self.init(firstMapped: first, bits: bits, entries: Array(entries.prefix(count)))
    }
}
