/// A DIMSE status (PS3.7 annex C), as the C-STORE and C-ECHO responses carry it.
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
    /// Failure: unrecognised operation.
    public static let unrecognisedOperation = DIMSEStatus(rawValue: 0x0211)

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
        case 0xA900...0xA9FF: "error: data set does not match SOP class"
        case 0xC000...0xCFFF: "error: cannot understand"
        case 0x0122: "refused: SOP class not supported"
        case 0x0110: "processing failure"
        case 0x0211: "unrecognised operation"
        case 0xB000...0xBFFF, 0x0001: "warning"
        default: "failure"
        }
        return "\(code) (\(meaning))"
    }
}
