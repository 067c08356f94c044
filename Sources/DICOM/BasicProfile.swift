/// The PS3.15 Annex E Basic Application Level Confidentiality Profile as the box applies it to
/// the copy it uploads, with the Retain UIDs Option (E.3.9): the outbox keys, results and the
/// platform's links between studies all name the original UIDs, and a UID names no person.
///
/// Every attribute of Table E.1-1 is listed in ``attributes`` (BasicProfile+Table.swift) with its
/// action code; ``resolve(_:for:)`` says which of the choices a code allows the box takes, always
/// the one that leaves least behind. Private attributes, overlay data and comments, and curves
/// are removed. A sequence the table does not name that holds anything the profile acts on,
/// anywhere in its items, is removed whole (stricter than cleaning it item by item).
/// ``deidentify(_:methodDescription:pseudonym:)`` writes the copy; the caller supplies the
/// pseudonym that replaces Patient's Name and Patient ID.
public enum BasicProfile {
    /// The action codes of Table E.1-1's Basic Profile column.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case D, Z, X, U
        case ZD = "Z/D", XZ = "X/Z", XD = "X/D", XZD = "X/Z/D", XZUStar = "X/Z/U*"
    }

    /// One row of Table E.1-1: the tag, its VR (PS3.6), the action code and the attribute name.
    public struct Attribute: Sendable, Hashable {
        public let tag: Tag
        public let vr: ValueRepresentation
        public let code: Code
        public let name: String

        init(_ tag: UInt32, _ vr: ValueRepresentation, _ code: Code, _ name: String) {
            self.tag = Tag(UInt16(tag >> 16), UInt16(tag & 0xFFFF))
            self.vr = vr
            self.code = code
            self.name = name
        }
    }

    /// What the box does to one element.
    enum Action: Sendable, Hashable {
        /// Replaced by the keyed pseudonym (Patient's Name and Patient ID: a Z dummy value).
        case pseudonym
        /// Kept with a zero-length value.
        case empty
        /// Replaced by a dummy value of its VR (``dummyValue(for:)``); a sequence keeps no items.
        case dummy
        case remove
    }

    static let patientName = Tag(0x0010, 0x0010)
    static let patientID = Tag(0x0010, 0x0020)

    /// The box's choice for each code: X in any combination is removed; Z and Z/D are emptied;
    /// D gets a dummy value; U is kept (Retain UIDs Option); X/Z/U* (Referenced Image and Source
    /// Image Sequence) is kept as the UIDs it holds are, and falls under the sequence rule (removed
    /// whole when it holds anything else the profile acts on). nil: kept as it is.
    static func resolve(_ code: Code, for tag: Tag) -> Action? {
        switch code {
        case .X, .XZ, .XD, .XZD: .remove
        case .Z, .ZD: tag == patientName || tag == patientID ? .pseudonym : .empty
        case .D: .dummy
        case .U, .XZUStar: nil
        }
    }

    /// What the profile does to `tag`; nil: the element is kept as it is.
    static func action(for tag: Tag) -> Action? {
        if tag.isPrivate { return .remove }
        // Curve data (50xx,xxxx), overlay data and comments (60xx,3000 / 60xx,4000): the
        // repeating-group rows of Table E.1-1.
        if tag.group & 0xFF00 == 0x5000 && tag.group & 1 == 0 { return .remove }
        if tag.group & 0xFF00 == 0x6000, tag.group & 1 == 0, tag.element == 0x3000 || tag.element == 0x4000 { return .remove }
        return table[tag].flatMap { resolve($0.code, for: tag) }
    }

    /// The table by tag.
    static let table: [Tag: Attribute] = Dictionary(uniqueKeysWithValues: attributes.map { ($0.tag, $0) })

    /// A dummy value that says nothing and fits the VR (a D action): encoded as text for text
    /// VRs, as zero bytes (the same in either byte order) for binary ones.
    static func dummyValue(for vr: ValueRepresentation) -> [UInt8] {
        switch vr {
        case .DA: Array("19000101".utf8)
        case .TM: Array("000000".utf8)
        case .DT: Array("19000101000000".utf8)
        case .AS: Array("000Y".utf8)
        case .IS, .DS: Array("0".utf8)
        case .UI: Array("2.25.0".utf8)
        case .UR: Array("urn:fluorobox:removed".utf8)
        case .AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UT: Array("REMOVED".utf8)
        case .SQ: []
        case .US, .SS: [0, 0]
        case .UL, .SL, .FL, .AT: [0, 0, 0, 0]
        case .FD, .SV, .UV: [0, 0, 0, 0, 0, 0, 0, 0]
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: [0, 0, 0, 0, 0, 0, 0, 0]
        }
    }

    /// Patient Identity Removed (0012,0062) and De-identification Method (0012,0063), written on
    /// every copy.
    static let patientIdentityRemoved = Tag(0x0012, 0x0062)
    static let deidentificationMethod = Tag(0x0012, 0x0063)
    /// Burned In Annotation (0028,0301): text in the pixels the profile cannot clean.
    static let burnedInAnnotation = Tag(0x0028, 0x0301)
}
