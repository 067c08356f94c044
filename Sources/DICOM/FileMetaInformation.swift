/// The file meta information group (0002,xxxx) of a Part 10 file (PS3.10 section 7.1).
public struct FileMetaInformation: Sendable, Hashable {
    public var transferSyntax: TransferSyntax
    public var mediaStorageSOPClassUID: String?
    public var mediaStorageSOPInstanceUID: String?
    public var implementationClassUID: String?
    public var implementationVersionName: String?
    public var sourceApplicationEntityTitle: String?
    /// Offset of the first data set byte, just after the meta group.
    public var dataSetOffset: Int

    /// Length of the preamble plus the "DICM" prefix.
    public static let prefixLength = 132

    /// True when `bytes` starts with a 128-byte preamble followed by "DICM".
    public static func hasPart10Prefix(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= prefixLength else { return false }
        return Array(bytes.dropFirst(128).prefix(4)) == Array("DICM".utf8)
    }

    /// Reads the meta group of a Part 10 file. The group is always explicit VR little endian.
    ///
    /// Elements are read while their group is 0002 rather than trusting the group length, which
    /// some writers get wrong; dcmtk and pydicom do the same.
    public init(part10 bytes: [UInt8]) throws(DICOMParseError) {
        guard Self.hasPart10Prefix(bytes) else {
            throw DICOMParseError(.notPart10, offset: 128, detail: "no \"DICM\" after the 128-byte preamble")
        }
        try self.init(metaGroupAt: Self.prefixLength, in: bytes)
    }

    /// Reads a meta group that starts at `offset` (132 in a Part 10 file; 0 in a file written
    /// without preamble and "DICM", which dcmtk and pydicom also read).
    init(metaGroupAt offset: Int, in bytes: [UInt8]) throws(DICOMParseError) {
        var cursor = ByteCursor(bytes, offset: offset)
        var values: [Tag: String] = [:]
        var count = 0
        while let tag = cursor.peekTag(), tag.group == 0x0002 {
            count += 1
            if count > 64 {
                throw DICOMParseError(.badFileMeta, offset: cursor.offset, detail: "more than 64 meta elements")
            }
            let at = cursor.offset
            _ = try cursor.tag()
            try cursor.require(2, tag: tag)
            guard let vr = ValueRepresentation(bytes: bytes[cursor.offset], bytes[cursor.offset + 1]) else {
                throw DICOMParseError(.badFileMeta, offset: at, tag: tag, detail: "meta element without an explicit VR")
            }
            cursor.offset += 2
            let length: Int
            if vr.hasLongLength {
                try cursor.skip(2, tag: tag)
                let raw = try cursor.uint32()
                if raw == 0xFFFF_FFFF {
                    throw DICOMParseError(.undefinedLengthNotAllowed, offset: at, tag: tag)
                }
                length = Int(raw)
            } else {
                length = Int(try cursor.uint16())
            }
            if length > cursor.remaining {
                throw DICOMParseError(
                    .valueLengthExceedsData, offset: at, tag: tag,
                    detail: "length \(length), \(cursor.remaining) bytes left"
                )
            }
            // A tag seen twice (a damaged writer repeated the meta group) keeps its first value, as dcmtk reads it.
            if vr.isText, values[tag] == nil {
                values[tag] = DICOMText.trimmed(bytes[cursor.offset..<cursor.offset + length], vr: vr, characterSet: .default)
            }
            cursor.offset += length
        }
        guard let syntaxUID = values[.transferSyntaxUID], !syntaxUID.isEmpty else {
            throw DICOMParseError(.missingTransferSyntax, offset: cursor.offset, tag: .transferSyntaxUID)
        }
        transferSyntax = TransferSyntax(uid: syntaxUID)
        mediaStorageSOPClassUID = values[.mediaStorageSOPClassUID]
        mediaStorageSOPInstanceUID = values[.mediaStorageSOPInstanceUID]
        implementationClassUID = values[.implementationClassUID]
        implementationVersionName = values[.implementationVersionName]
        sourceApplicationEntityTitle = values[.sourceApplicationEntityTitle]
        dataSetOffset = cursor.offset
    }
}

/// Text value handling shared by the readers.
enum DICOMText {
    /// Decodes a text value and removes the padding the standard allows (trailing spaces, and
    /// for UI a trailing NUL; leading spaces are not significant except in LT/ST/UT).
    static func trimmed(_ bytes: ArraySlice<UInt8>, vr: ValueRepresentation, characterSet: SpecificCharacterSet) -> String {
        var slice = bytes
        while let last = slice.last, last == 0x20 || last == 0x00 { slice = slice.dropLast() }
        switch vr {
        case .LT, .ST, .UT: break
        default:
            while let first = slice.first, first == 0x20 { slice = slice.dropFirst() }
        }
        if vr.usesSpecificCharacterSet {
            return characterSet.decode(slice)
        }
        return String(decoding: slice, as: UTF8.self)
    }
}
