/// A DICOM value representation (PS3.5 section 6.2).
public enum ValueRepresentation: String, Sendable, CaseIterable {
    case AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ,
         SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV

    /// Explicit VR encodings with a 2-byte reserved field and a 4-byte length (PS3.5 table 7.1-1).
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: true
        default: false
        }
    }

    /// Text values padded with a space; UI pads with NUL instead.
    public var isText: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: true
        default: false
        }
    }

    /// Text whose bytes follow Specific Character Set (0008,0005) rather than plain ASCII.
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: true
        default: false
        }
    }

    init?(bytes first: UInt8, _ second: UInt8) {
        guard (0x41...0x5A).contains(first), (0x41...0x5A).contains(second) else { return nil }
        self.init(rawValue: String(decoding: [first, second], as: UTF8.self))
    }
}
