/// A DIMSE status (PS3.7 annex C), as the C-STORE, C-ECHO and N- responses carry it; storage
/// commitment reuses some as Failure Reason (0008,1197) values.
public struct DIMSEStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = DIMSEStatus(rawValue: 0x0000)
    /// Refused: out of resources (the store is at its hard limit).
    public static let outOfResources = DIMSEStatus(rawValue: 0xA700)
    /// Error: cannot understand (the data set could not be parsed; its bytes are in quarantine).
    public static let cannotUnderstand = DIMSEStatus(rawValue: 0xC000)
    /// Refused: SOP class not supported.
    public static let sopClassNotSupported = DIMSEStatus(rawValue: 0x0122)
    /// Failure: processing failure (the store failed for a reason other than space).
    public static let processingFailure = DIMSEStatus(rawValue: 0x0110)
    /// Failure: no such object instance (storage commitment: the box holds no such instance).
    public static let noSuchObjectInstance = DIMSEStatus(rawValue: 0x0112)
    /// Failure: class-instance conflict (storage commitment: held, but under another SOP class).
    public static let classInstanceConflict = DIMSEStatus(rawValue: 0x0119)
    /// Failure: no such action type (an N-ACTION other than storage commitment's type 1).
    public static let noSuchActionType = DIMSEStatus(rawValue: 0x0123)
    /// Failure: no such SOP instance (an N-ACTION not on the push model's well-known instance).
    public static let noSuchSOPInstance = DIMSEStatus(rawValue: 0x0117)
    /// Failure: no such event type (an N-EVENT-REPORT other than storage commitment's 1 and 2).
    public static let noSuchEventType = DIMSEStatus(rawValue: 0x0113)
    /// Failure: invalid argument value (a storage commitment report on a transaction the box does not await).
    public static let invalidArgumentValue = DIMSEStatus(rawValue: 0x0115)
    /// Failure: no such SOP class (an N-EVENT-REPORT for a class other than the push model).
    public static let noSuchSOPClass = DIMSEStatus(rawValue: 0x0118)
    /// Failure: unrecognised operation.
    public static let unrecognisedOperation = DIMSEStatus(rawValue: 0x0211)

    /// C-FIND/C-MOVE/C-GET: a match or a sub-operation report follows; more to come.
    public static let pending = DIMSEStatus(rawValue: 0xFF00)
    /// C-FIND/C-MOVE/C-GET ended by the SCU's C-CANCEL.
    public static let cancel = DIMSEStatus(rawValue: 0xFE00)
    /// C-MOVE: the destination AE title is not in `dicom.peers`.
    public static let moveDestinationUnknown = DIMSEStatus(rawValue: 0xA801)
    /// C-MOVE/C-GET: refused, out of resources: no sub-operation could be performed.
    public static let subOperationsImpossible = DIMSEStatus(rawValue: 0xA702)
    /// C-FIND/C-MOVE/C-GET: identifier does not match SOP class (no or a wrong level).
    public static let identifierDoesNotMatchSOPClass = DIMSEStatus(rawValue: 0xA900)
    /// C-FIND/C-MOVE/C-GET: failure, unable to process (the archive could not be read).
    public static let unableToProcess = DIMSEStatus(rawValue: 0xC001)
    /// C-MOVE/C-GET: sub-operations complete, one or more failed or gave a warning.
    public static let subOperationsCompleteWithFailures = DIMSEStatus(rawValue: 0xB000)

    public var isSuccess: Bool { rawValue == 0x0000 }
    /// Warnings (0001, Bxxx) mean the instance was stored with a remark.
    public var isWarning: Bool { rawValue == 0x0001 || (0xB000...0xBFFF).contains(rawValue) }
    public var isFailure: Bool { !isSuccess && !isWarning && rawValue != 0xFF00 && rawValue != 0xFF01 }

    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        let code = "0x" + String(repeating: "0", count: 4 - hex.count) + hex
        let meaning: String = switch rawValue {
        case 0x0000: "success"
        case 0xA700...0xA7FF: "refused: out of resources"
        case 0xA801: "refused: move destination unknown"
        case 0xFF00, 0xFF01: "pending"
        case 0xFE00: "cancelled"
        case 0xA900...0xA9FF: "error: data set does not match SOP class"
        case 0xC000...0xCFFF: "error: cannot understand"
        case 0x0122: "refused: SOP class not supported"
        case 0x0110: "processing failure"
        case 0x0112: "no such object instance"
        case 0x0117: "invalid object instance"
        case 0x0119: "class-instance conflict"
        case 0x0123: "no such action type"
        case 0x0211: "unrecognised operation"
        case 0xB000: "sub-operations complete, some failed"
        case 0xB000...0xBFFF, 0x0001: "warning"
        default: "failure"
        }
        return "\(code) (\(meaning))"
    }
}
