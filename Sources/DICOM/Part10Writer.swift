/// Writes the objects the box creates as Part 10 files in explicit VR little endian.
///
/// Values are set by tag; the writer sorts them, pads them to even length the way each VR
/// requires, and computes the meta group length.
public struct Part10Writer: Sendable {
    /// The implementation class UID written to every file the box makes (under 2.25, fixed).
    public static let implementationClassUID = "2.25.270378316744216150542397587634105593201"
    public static let implementationVersionName = "FLUOROBOX_1"

    /// Values by tag; a sequence holds its encoded items (``set(_:items:)``).
    var elements: [Tag: (ValueRepresentation, [UInt8])] = [:]
    /// Compressed frames written as encapsulated Pixel Data (PS3.5 A.4), one fragment each.
    private var encapsulatedFrames: [[UInt8]]?
    /// The transfer syntax named in the meta group: explicit VR little endian, or a compressed
    /// syntax whose frames were given with ``setEncapsulatedPixelData(_:transferSyntax:)``.
    public private(set) var transferSyntax: TransferSyntax = .explicitVRLittleEndian

    public init() {}

    /// Pixel Data as compressed frames (a JPEG codestream each) in `transferSyntax`; the data
    /// set around it stays explicit VR little endian, as every encapsulated syntax requires.
    public mutating func setEncapsulatedPixelData(_ frames: [[UInt8]], transferSyntax: TransferSyntax) {
        elements[.pixelData] = nil
        encapsulatedFrames = frames
        self.transferSyntax = transferSyntax
    }

    /// Sets a text value; multiple values are joined with backslashes by the caller.
    public mutating func set(_ tag: Tag, _ vr: ValueRepresentation, _ text: String) {
        elements[tag] = (vr, Array(text.utf8))
    }

    public mutating func set(_ tag: Tag, uint16 value: UInt16) {
        elements[tag] = (.US, [UInt8(value & 0xFF), UInt8(value >> 8)])
    }

    /// Sets a binary value (OB, OW and the like) from raw little-endian bytes.
    public mutating func set(_ tag: Tag, _ vr: ValueRepresentation, bytes: [UInt8]) {
        elements[tag] = (vr, bytes)
    }

    /// The complete file: preamble, "DICM", meta group, then the data set.
    public func part10Bytes() throws(DICOMParseError) -> [UInt8] {
        guard case let (_, classBytes)? = elements[.sopClassUID],
              case let (_, instanceBytes)? = elements[.sopInstanceUID] else {
            throw DICOMParseError(.missingAttribute, offset: 0, tag: .sopInstanceUID, detail: "SOP Class and Instance UID must be set before writing")
        }
        var output = Self.fileMetaHeader(
            sopClassUID: String(decoding: classBytes, as: UTF8.self),
            sopInstanceUID: String(decoding: instanceBytes, as: UTF8.self),
            transferSyntax: transferSyntax
        )
        for tag in elements.keys.sorted() where tag.group != 0x0002 {
            let (vr, value) = elements[tag]!
            Self.append(&output, tag, vr, value)
        }
        if let encapsulatedFrames {
            Self.appendEncapsulated(&output, encapsulatedFrames)
        }
        return output
    }

    /// Preamble, "DICM" and the file meta group for a data set in `transferSyntax`: what a
    /// receiver puts before the data set bytes a C-STORE delivered to make a Part 10 file.
    public static func fileMetaHeader(
        sopClassUID: String, sopInstanceUID: String, transferSyntax: TransferSyntax,
        sourceApplicationEntityTitle: String? = nil
    ) -> [UInt8] {
        var meta: [UInt8] = []
        append(&meta, .fileMetaInformationVersion, .OB, [0x00, 0x01])
        append(&meta, .mediaStorageSOPClassUID, .UI, Array(sopClassUID.utf8))
        append(&meta, .mediaStorageSOPInstanceUID, .UI, Array(sopInstanceUID.utf8))
        append(&meta, .transferSyntaxUID, .UI, Array(transferSyntax.uid.utf8))
        append(&meta, .implementationClassUID, .UI, Array(implementationClassUID.utf8))
        append(&meta, .implementationVersionName, .SH, Array(implementationVersionName.utf8))
        if let sourceApplicationEntityTitle {
            append(&meta, .sourceApplicationEntityTitle, .AE, Array(sourceApplicationEntityTitle.utf8))
        }
        var output = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        append(&output, .fileMetaInformationGroupLength, .UL, littleEndian(UInt32(meta.count)))
        return output + meta
    }

    /// Pixel Data of undefined length: an empty Basic Offset Table item, one item per frame
    /// (padded to even length), then the sequence delimiter. Pixel Data is the last element.
    static func appendEncapsulated(_ output: inout [UInt8], _ frames: [[UInt8]]) {
        func item(_ element: UInt16, _ length: Int) -> [UInt8] {
            [0xFE, 0xFF, UInt8(element & 0xFF), UInt8(element >> 8)] + littleEndian(UInt32(length))
        }
        output += [0xE0, 0x7F, 0x10, 0x00] + Array("OB".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        output += item(0xE000, 0)
        for frame in frames {
            output += item(0xE000, frame.count + frame.count % 2)
            output += frame
            if frame.count % 2 == 1 { output.append(0) }
        }
        output += item(0xE0DD, 0)
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func append(_ output: inout [UInt8], _ tag: Tag, _ vr: ValueRepresentation, _ value: [UInt8]) {
        output += DataElementEncoder.explicitLittleEndian.encode(tag, vr, value: value)
    }
}
