extension Part10Writer {
    /// Sets a sequence (SQ) whose items are the data sets `items` hold; an empty list writes an
    /// empty sequence (a type 2 sequence present with no items).
    ///
    /// Items and the sequence get defined lengths: every reader handles them, and the writer
    /// knows each item's bytes before it writes the header.
    public mutating func set(_ tag: Tag, items: [Part10Writer]) {
        var value: [UInt8] = []
        for item in items {
            let body = item.dataSetBytes()
            value += [0xFE, 0xFF, 0x00, 0xE0] + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(body.count) >> (8 * $0)) }
            value += body
        }
        elements[tag] = (.SQ, value)
    }

    /// The elements as a bare data set (no preamble, no meta group): what a sequence item holds.
    /// Encapsulated pixel data has no place in an item and is left out.
    func dataSetBytes() -> [UInt8] {
        var output: [UInt8] = []
        for tag in elements.keys.sorted() where tag.group != 0x0002 {
            let (vr, value) = elements[tag]!
            output += DataElementEncoder.explicitLittleEndian.encode(tag, vr, value: value)
        }
        return output
    }
}
