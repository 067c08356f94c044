/// Writes the objects the box creates as Part 10 files in explicit VR little endian.
///
/// Values are set by tag; the writer sorts them, pads them to even length the way each VR
/// requires, and computes the meta group length.
public struct Part10Writer: Sendable {
    /// The implementation class UID written to every file the box makes (under 2.25, fixed).
    public static let implementationClassUID = "2.25.270378316744216150542397587634105593201"
    public static let implementationVersionName = "FLUOROBOX_1"

    private var elements: [Tag: (ValueRepresentation, [UInt8])] = [:]

    public init() {}

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
            transferSyntax: .explicitVRLittleEndian
        )
        for tag in elements.keys.sorted() where tag.group != 0x0002 {
            let (vr, value) = elements[tag]!
            Self.append(&output, tag, vr, value)
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

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    private static func append(_ output: inout [UInt8], _ tag: Tag, _ vr: ValueRepresentation, _ value: [UInt8]) {
        var value = value
        if value.count % 2 == 1 {
            value.append(vr == .UI || !vr.isText ? 0x00 : 0x20)
        }
        output += [UInt8(tag.group & 0xFF), UInt8(tag.group >> 8), UInt8(tag.element & 0xFF), UInt8(tag.element >> 8)]
        output += Array(vr.rawValue.utf8)
        if vr.hasLongLength {
            output += [0, 0] + littleEndian(UInt32(value.count))
        } else {
            output += [UInt8(value.count & 0xFF), UInt8(value.count >> 8)]
        }
        output += value
    }
}
