/// A DICOM file read whole: its file meta information (when it has any), the transfer syntax
/// its data set is encoded in, and the parsed data set.
///
/// Reads Part 10 files (128-byte preamble, "DICM", meta group), files that start directly with
/// the meta group, and ACR-NEMA style files that hold only a data set (detected from the first
/// element as dcmtk does: byte order from the group number, explicit VR when bytes 4–5 are a VR).
public struct DICOMFile: Sendable {
    public enum Format: String, Sendable, Hashable {
        /// Preamble, "DICM" and file meta information (PS3.10).
        case part10
        /// File meta information without the preamble and "DICM".
        case metaWithoutPreamble
        /// A bare data set: no preamble, no meta (ACR-NEMA 1.0/2.0 style and some old exports).
        case acrNema
    }

    public let format: Format
    public let meta: FileMetaInformation?
    /// From the meta group, or detected for a file without one.
    public let transferSyntax: TransferSyntax
    public let dataSet: DataSet
    /// The bytes the data set was parsed from: the file, or the inflated data set of a deflated file.
    public let dataSetBytes: [UInt8]

    /// Parses a whole file.
    public init(bytes: [UInt8], limits: DICOMReadLimits = .default) throws(DICOMParseError) {
        let start: (format: Format, meta: FileMetaInformation?, syntax: TransferSyntax, offset: Int)
        if FileMetaInformation.hasPart10Prefix(bytes) {
            let meta = try FileMetaInformation(part10: bytes)
            start = (.part10, meta, meta.transferSyntax, meta.dataSetOffset)
        } else if let sniffed = Self.sniffBareStart(bytes) {
            if sniffed.metaGroup {
                let meta = try FileMetaInformation(metaGroupAt: 0, in: bytes)
                start = (.metaWithoutPreamble, meta, meta.transferSyntax, meta.dataSetOffset)
            } else {
                start = (.acrNema, nil, sniffed.syntax, 0)
            }
        } else {
            throw DICOMParseError(.unknownFormat, offset: 0, detail: "no \"DICM\" at byte 128 and no data element at byte 0")
        }
        var dataSetBytes = bytes
        var offset = start.offset
        if start.syntax.isDeflated {
            dataSetBytes = try Inflater.inflate(bytes[offset...], limit: limits.maximumInflatedBytes, offset: offset)
            offset = 0
        }
        let encoding = Self.encoding(of: dataSetBytes, at: offset, declared: start.syntax)
        var reader = DataSetReader(bytes: dataSetBytes, limits: limits)
        dataSet = try reader.readDataSet(from: offset, encoding: encoding)
        format = start.format
        meta = start.meta
        transferSyntax = start.syntax
        self.dataSetBytes = dataSetBytes
    }

    /// Whether leading bytes look like a DICOM file this reader can try: Part 10, meta without
    /// preamble, or an ACR-NEMA data set. Cheap; a full read decides.
    public static func sniff(_ prefix: [UInt8]) -> Format? {
        if FileMetaInformation.hasPart10Prefix(prefix) { return .part10 }
        guard let sniffed = sniffBareStart(prefix) else { return nil }
        return sniffed.metaGroup ? .metaWithoutPreamble : .acrNema
    }

    /// The syntax detected for a file without preamble or meta, nil when it is not one.
    static func bareSyntax(_ bytes: [UInt8]) -> TransferSyntax? {
        guard let sniffed = sniffBareStart(bytes), !sniffed.metaGroup else { return nil }
        return sniffed.syntax
    }

    /// How the data set is encoded. Mostly what the transfer syntax says; when the first element
    /// plainly disagrees (a writer that labelled implicit data explicit or the reverse, a known
    /// real-world fault) the data wins, as pydicom decides.
    static func encoding(of bytes: [UInt8], at offset: Int, declared: TransferSyntax) -> DataSetReader.Encoding {
        let declaredEncoding: DataSetReader.Encoding
        switch declared {
        case .implicitVRLittleEndian: declaredEncoding = .implicitLittle
        case .explicitVRBigEndian: declaredEncoding = .explicitBig
        default: declaredEncoding = .explicitLittle
        }
        guard declaredEncoding != .explicitBig, bytes.count - offset >= 8 else { return declaredEncoding }
        let hasVR = ValueRepresentation(bytes: bytes[offset + 4], bytes[offset + 5]) != nil
        if declaredEncoding == .implicitLittle && hasVR {
            // An implicit length whose two low bytes spell a VR would be 16,000+ bytes for a first element.
            let length = UInt32(bytes[offset + 4]) | UInt32(bytes[offset + 5]) << 8 | UInt32(bytes[offset + 6]) << 16 | UInt32(bytes[offset + 7]) << 24
            if length > UInt32(bytes.count - offset) { return .explicitLittle }
        }
        return declaredEncoding
    }

    /// A file without preamble: the first element decides whether it starts with a meta group
    /// or a data set, its byte order and whether VRs are explicit.
    private static func sniffBareStart(_ bytes: [UInt8]) -> (metaGroup: Bool, syntax: TransferSyntax)? {
        guard bytes.count >= 8 else { return nil }
        let littleGroup = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        let littleElement = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
        let bigGroup = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let bigElement = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let explicit = ValueRepresentation(bytes: bytes[4], bytes[5]) != nil
        // Data sets begin with a low even group: 0002 (meta), 0008 (identification), rarely 0000 or 0010-0028.
        func plausible(_ group: UInt16, _ element: UInt16) -> Bool {
            group % 2 == 0 && group <= 0x0028 && element < 0x2000 && !(group == 0 && element == 0 && bytes[4...7].allSatisfy { $0 == 0 })
        }
        if plausible(littleGroup, littleElement) {
            guard leadingElementsAscend(bytes, explicit: explicit, bigEndian: false) else { return nil }
            if littleGroup == 0x0002 {
                return explicit ? (true, .explicitVRLittleEndian) : nil
            }
            return (false, explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian)
        }
        if plausible(bigGroup, bigElement), explicit, bigGroup != 0x0002,
           leadingElementsAscend(bytes, explicit: true, bigEndian: true) {
            return (false, .explicitVRBigEndian)
        }
        return nil
    }

    /// The first few elements have lengths that fit and tags in ascending order: what any data
    /// set shows and other binary files (which may start with a small number) do not.
    private static func leadingElementsAscend(_ bytes: [UInt8], explicit: Bool, bigEndian: Bool) -> Bool {
        var position = 0
        var previous: UInt32?
        for _ in 0..<4 {
            guard bytes.count - position >= 8 else { return previous != nil }
            func word(_ at: Int) -> UInt32 {
                bigEndian ? UInt32(bytes[at]) << 8 | UInt32(bytes[at + 1]) : UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
            }
            let tag = word(position) << 16 | word(position + 2)
            if let previous, tag <= previous { return false }
            previous = tag
            var length: UInt32
            var header = 8
            if explicit {
                guard let vr = ValueRepresentation(bytes: bytes[position + 4], bytes[position + 5]) else { return false }
                if vr.hasLongLength {
                    guard bytes.count - position >= 12 else { return true }
                    length = word(position + 8) | word(position + 10) << 16
                    if bigEndian { length = word(position + 8) << 16 | word(position + 10) }
                    header = 12
                } else {
                    length = word(position + 6)
                }
            } else {
                length = word(position + 4) | word(position + 6) << 16
            }
            if length == 0xFFFF_FFFF { return true }
            guard Int(length) <= bytes.count - position - header else { return false }
            position += header + Int(length)
        }
        return true
    }
}
