/// A dcmdump-like listing of a file for technicians: one line per element, nested items
/// indented, long values cut, the keyword from the dictionary at the end.
public enum DICOMDump {
    /// Characters of a value shown before it is cut with "...".
    static let valueWidth = 64

    public static func text(of file: DICOMFile) -> String {
        var lines: [String] = ["# Dicom-File-Format: \(formatName(file.format))"]
        if let meta = file.meta {
            lines.append("")
            lines.append("# Dicom-Meta-Information-Header")
            lines.append("(0002,0010) UI [\(meta.transferSyntax.uid)] # \(meta.transferSyntax)")
            for (tag, value) in [
                (Tag.mediaStorageSOPClassUID, meta.mediaStorageSOPClassUID),
                (.mediaStorageSOPInstanceUID, meta.mediaStorageSOPInstanceUID),
                (.implementationClassUID, meta.implementationClassUID),
                (.implementationVersionName, meta.implementationVersionName),
                (.sourceApplicationEntityTitle, meta.sourceApplicationEntityTitle),
            ] {
                if let value { lines.append("\(tag) \(DataDictionary.vr(for: tag)!.rawValue) [\(printable(value))] # \(DataDictionary.keyword(for: tag)!)") }
            }
        }
        lines.append("")
        lines.append("# Dicom-Data-Set")
        lines.append("# Used TransferSyntax: \(file.transferSyntax)")
        append(file.dataSet, depth: 0, to: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func formatName(_ format: DICOMFile.Format) -> String {
        switch format {
        case .part10: "DICOM Part 10"
        case .metaWithoutPreamble: "DICOM file meta without preamble"
        case .acrNema: "ACR-NEMA (no preamble, no file meta)"
        }
    }

    private static func append(_ dataSet: DataSet, depth: Int, to lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        for element in dataSet.elements {
            let keyword = DataDictionary.keyword(for: element.tag) ?? (element.tag.isPrivate ? "PrivateTag" : "UnknownTag")
            switch element.value {
            case .bytes(let bytes):
                let shown = value(of: element, bytes: bytes, in: dataSet)
                lines.append(line(indent, "\(element.tag) \(element.vr.rawValue) \(shown)", "\(bytes.count)", keyword))
            case .sequence(let items):
                let kind = element.hasUndefinedLength ? "undefined" : "explicit"
                lines.append(line(indent, "\(element.tag) SQ (Sequence with \(kind) length #=\(items.count))", element.hasUndefinedLength ? "u/l" : "", keyword))
                for item in items {
                    lines.append(line(indent + "  ", "(FFFE,E000) na (Item #=\(item.elements.count))", "", "Item"))
                    append(item, depth: depth + 2, to: &lines)
                    lines.append(line(indent + "  ", "(FFFE,E00D) na (ItemDelimitationItem)", "0", "ItemDelimitationItem"))
                }
                lines.append(line(indent, "(FFFE,E0DD) na (SequenceDelimitationItem)", "0", "SequenceDelimitationItem"))
            case .encapsulated(let pixels):
                lines.append(line(indent, "\(element.tag) \(element.vr.rawValue) (PixelSequence #=\(pixels.fragments.count + 1))", "u/l", keyword))
                lines.append(line(indent + "  ", "(FFFE,E000) pi (Basic Offset Table, \(pixels.offsetTable.count) entries)", "\(pixels.offsetTable.count * 4)", "Item"))
                for fragment in pixels.fragments {
                    lines.append(line(indent + "  ", "(FFFE,E000) pi \(hex(fragment, width: 1))", "\(fragment.count)", "Item"))
                }
                lines.append(line(indent, "(FFFE,E0DD) na (SequenceDelimitationItem)", "0", "SequenceDelimitationItem"))
            }
        }
    }

    private static func line(_ indent: String, _ body: String, _ length: String, _ keyword: String) -> String {
        let left = indent + body
        let padded = left.count < 56 ? left + String(repeating: " ", count: 56 - left.count) : left
        return padded + " # " + (length.isEmpty ? "" : length + ", ") + keyword
    }

    private static func value(of element: DICOMElement, bytes: ArraySlice<UInt8>, in dataSet: DataSet) -> String {
        if bytes.isEmpty { return "(no value available)" }
        let vr = element.vr
        if vr.isText {
            let text = (dataSet.strings(element.tag) ?? []).joined(separator: "\\")
            return "[" + cut(printable(text)) + "]"
        }
        let big = dataSet.isBigEndian
        switch vr {
        case .US: return cut(BinaryValues.uint16(bytes, bigEndian: big).map { String($0) }.joined(separator: "\\"))
        case .SS: return cut(BinaryValues.uint16(bytes, bigEndian: big).map { String(Int16(bitPattern: $0)) }.joined(separator: "\\"))
        case .UL: return cut(BinaryValues.uint32(bytes, bigEndian: big).map { String($0) }.joined(separator: "\\"))
        case .SL: return cut(BinaryValues.uint32(bytes, bigEndian: big).map { String(Int32(bitPattern: $0)) }.joined(separator: "\\"))
        case .FL: return cut(BinaryValues.uint32(bytes, bigEndian: big).map { String(Float(bitPattern: $0)) }.joined(separator: "\\"))
        case .FD: return cut(BinaryValues.uint64(bytes, bigEndian: big).map { String(Double(bitPattern: $0)) }.joined(separator: "\\"))
        case .AT:
            let words = BinaryValues.uint16(bytes, bigEndian: big)
            return cut(stride(from: 0, to: words.count - 1, by: 2).map { Tag(words[$0], words[$0 + 1]).description }.joined(separator: "\\"))
        case .OW: return hex16(bytes, bigEndian: big)
        default: return hex(bytes, width: 1)
        }
    }

    private static func hex(_ bytes: ArraySlice<UInt8>, width: Int) -> String {
        var parts: [String] = []
        var length = 0
        for byte in bytes {
            let digits = String(byte, radix: 16)
            let part = digits.count == 1 ? "0" + digits : digits
            length += part.count + 1
            if length > valueWidth { return parts.joined(separator: "\\") + "..." }
            parts.append(part)
        }
        return parts.joined(separator: "\\")
    }

    private static func hex16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> String {
        var parts: [String] = []
        var length = 0
        for word in BinaryValues.uint16(bytes.prefix(valueWidth), bigEndian: bigEndian) {
            let digits = String(word, radix: 16)
            let part = String(repeating: "0", count: 4 - digits.count) + digits
            length += part.count + 1
            if length > valueWidth { return parts.joined(separator: "\\") + "..." }
            parts.append(part)
        }
        return parts.joined(separator: "\\") + (bytes.count > valueWidth ? "..." : "")
    }

    private static func cut(_ text: String) -> String {
        text.count > valueWidth ? String(text.prefix(valueWidth)) + "..." : text
    }

    /// Control bytes from a damaged file must not reach a technician's terminal.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) ? "." : $0 }))
    }
}
