/// A file's data set in explicit VR little endian, with its top-level Pixel Data set apart: what
/// a lossless re-encoding writes around new pixel data. Elements of an explicit little endian
/// data set are copied byte for byte; an implicit one is re-encoded with the VRs the reader
/// gave (sequences with undefined lengths). Group lengths are left out: re-encoding changes them
/// and PS3.5 7.2 lets a writer drop them.
struct ExplicitLittleEndianBody {
    enum PixelData {
        /// The file's own Pixel Data element (native pixels).
        case asIs
        /// Compressed frames, one fragment each.
        case encapsulated([[UInt8]])
        /// A whole Pixel Data element written elsewhere (decoded frames as native pixels).
        case element([UInt8])
    }

    private var before: [UInt8] = []
    private var pixelData: [UInt8] = []
    private var after: [UInt8] = []

    /// `setting`: top-level elements (explicit VR little endian bytes, by tag) written in tag
    /// order in place of the file's own or beside them.
    init(_ file: DICOMFile, setting replacements: [Tag: [UInt8]] = [:]) throws(LosslessRecoder.Refusal) {
        let source = file.dataSetBytes
        let elements = file.dataSet.elements
        guard let first = elements.first else { throw LosslessRecoder.Refusal("an empty data set") }
        guard !file.dataSet.isBigEndian else { throw LosslessRecoder.Refusal("a big endian data set") }
        // Explicit when the first element carries its VR in bytes 4–5 (as the reader decided).
        let explicit = first.offset + 6 <= source.count
            && Array(source[(first.offset + 4)..<(first.offset + 6)]) == Array(first.vr.rawValue.utf8)
        var seenPixelData = false
        var pending = replacements.sorted { $0.key < $1.key }
        func appendPending(before tag: Tag?) {
            while let next = pending.first, tag.map({ next.key <= $0 }) ?? true {
                if seenPixelData { after += next.value } else { before += next.value }
                pending.removeFirst()
            }
        }
        for (index, element) in elements.enumerated() {
            let end = index + 1 < elements.count ? elements[index + 1].offset : source.count
            guard element.offset < end, end <= source.count else {
                throw LosslessRecoder.Refusal("the data set's elements are not in stream order at \(element.tag)")
            }
            if element.tag.element == 0x0000 { continue }
            // A replacement goes in before any later tag, and in place of its own.
            appendPending(before: element.tag)
            if replacements[element.tag] != nil { continue }
            var encoded: [UInt8] = []
            if explicit {
                encoded = Array(source[element.offset..<end])
            } else {
                try Self.appendExplicit(element, to: &encoded)
            }
            if element.tag == .pixelData {
                pixelData = encoded
                seenPixelData = true
            } else if seenPixelData {
                after += encoded
            } else {
                before += encoded
            }
        }
        appendPending(before: nil)
    }

    func explicitBytes(pixelData choice: PixelData) -> [UInt8] {
        var output = before
        switch choice {
        case .asIs:
            output += pixelData
        case .encapsulated(let frames):
            Part10Writer.appendEncapsulated(&output, frames)
        case .element(let bytes):
            output += bytes
        }
        return output + after
    }

    /// One element of an implicit VR data set, written in explicit VR.
    private static func appendExplicit(_ element: DICOMElement, to output: inout [UInt8]) throws(LosslessRecoder.Refusal) {
        switch element.value {
        case .bytes(let bytes):
            // A value the reader could not parse as items stays opaque (UN carries implicit items).
            let vr = element.vr == .SQ ? ValueRepresentation.UN : element.vr
            guard vr.hasLongLength || bytes.count <= 0xFFFF else {
                throw LosslessRecoder.Refusal("\(element.tag) holds \(bytes.count) bytes, more than \(vr.rawValue) can say in explicit VR")
            }
            output += DataElementEncoder.explicitLittleEndian.encode(element.tag, vr, value: Array(bytes))
        case .sequence(let items):
            output += header(element.tag) + Array("SQ".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
            for item in items {
                output += header(Tag(0xFFFE, 0xE000)) + [0xFF, 0xFF, 0xFF, 0xFF]
                for nested in item.elements where nested.tag.element != 0x0000 {
                    try appendExplicit(nested, to: &output)
                }
                output += header(Tag(0xFFFE, 0xE00D)) + [0, 0, 0, 0]
            }
            output += header(Tag(0xFFFE, 0xE0DD)) + [0, 0, 0, 0]
        case .encapsulated:
            throw LosslessRecoder.Refusal("encapsulated Pixel Data in an implicit VR data set")
        }
    }

    private static func header(_ tag: Tag) -> [UInt8] {
        [UInt8(tag.group & 0xFF), UInt8(tag.group >> 8), UInt8(tag.element & 0xFF), UInt8(tag.element >> 8)]
    }
}
