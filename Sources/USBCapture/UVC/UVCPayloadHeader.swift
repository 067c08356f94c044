/// The header that starts every UVC payload (UVC 1.5 section 2.4.3.3, table 2-5).
public struct UVCPayloadHeader: Sendable, Hashable {
    /// bHeaderLength: the payload's video data starts here.
    public var length: Int
    public var frameID: Bool
    public var endOfFrame: Bool
    public var hasPresentationTime: Bool
    public var hasSourceClock: Bool
    public var stillImage: Bool
    public var error: Bool
    public var endOfHeader: Bool
    /// Presentation time stamp, in device clock units.
    public var presentationTime: UInt32?
    /// Source clock reference: the 32-bit source time clock and the 11-bit USB SOF counter.
    public var sourceClock: (sourceTime: UInt32, startOfFrame: UInt16)?

    public static let bitFID: UInt8 = 0x01
    public static let bitEOF: UInt8 = 0x02
    public static let bitPTS: UInt8 = 0x04
    public static let bitSCR: UInt8 = 0x08
    public static let bitSTI: UInt8 = 0x20
    public static let bitERR: UInt8 = 0x40
    public static let bitEOH: UInt8 = 0x80
    public static let maximumLength = 12

    public static func == (lhs: UVCPayloadHeader, rhs: UVCPayloadHeader) -> Bool {
        lhs.length == rhs.length && lhs.frameID == rhs.frameID && lhs.endOfFrame == rhs.endOfFrame
            && lhs.error == rhs.error && lhs.presentationTime == rhs.presentationTime
            && lhs.sourceClock?.sourceTime == rhs.sourceClock?.sourceTime
            && lhs.sourceClock?.startOfFrame == rhs.sourceClock?.startOfFrame
            && lhs.stillImage == rhs.stillImage && lhs.endOfHeader == rhs.endOfHeader
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(length)
        hasher.combine(frameID)
        hasher.combine(endOfFrame)
    }

    /// Why a payload's header cannot be trusted.
    public enum Problem: String, Sendable, Hashable {
        case tooShort = "payload shorter than 2 bytes"
        case lengthOutOfRange = "bHeaderLength is below 2 or beyond the payload"
        case lengthDisagreesWithFlags = "bHeaderLength disagrees with the PTS and SCR flags"
    }

    /// Parses the header at the start of a payload. Headers whose length does not match what
    /// the PTS/SCR flags announce are rejected: a device that sends them is sending garbage.
    public static func parse(_ payload: UnsafeRawBufferPointer) -> Result<UVCPayloadHeader, ProblemError> {
        guard payload.count >= 2 else { return .failure(ProblemError(problem: .tooShort)) }
        let length = Int(payload[0])
        let info = payload[1]
        guard length >= 2, length <= payload.count else { return .failure(ProblemError(problem: .lengthOutOfRange)) }
        let hasPTS = info & bitPTS != 0
        let hasSCR = info & bitSCR != 0
        let expected = 2 + (hasPTS ? 4 : 0) + (hasSCR ? 6 : 0)
        // The header of MJPEG and uncompressed payloads is at most 12 bytes (HLE, BFH, PTS, SCR)
        // and never shorter than its flags require; anything else is not a header.
        guard length >= expected, length <= maximumLength else { return .failure(ProblemError(problem: .lengthDisagreesWithFlags)) }
        func u32(_ offset: Int) -> UInt32 {
            UInt32(payload[offset]) | UInt32(payload[offset + 1]) << 8 | UInt32(payload[offset + 2]) << 16 | UInt32(payload[offset + 3]) << 24
        }
        var header = UVCPayloadHeader(
            length: length, frameID: info & bitFID != 0, endOfFrame: info & bitEOF != 0,
            hasPresentationTime: hasPTS, hasSourceClock: hasSCR, stillImage: info & bitSTI != 0,
            error: info & bitERR != 0, endOfHeader: info & bitEOH != 0, presentationTime: nil, sourceClock: nil
        )
        var offset = 2
        if hasPTS {
            header.presentationTime = u32(offset)
            offset += 4
        }
        if hasSCR {
            let sof = UInt16(payload[offset + 4]) | UInt16(payload[offset + 5]) << 8
            header.sourceClock = (u32(offset), sof & 0x07FF)
        }
        return .success(header)
    }

    public static func parse(_ bytes: [UInt8]) -> Result<UVCPayloadHeader, ProblemError> {
        bytes.withUnsafeBytes { parse($0) }
    }

    public struct ProblemError: Error, Sendable, Hashable {
        public let problem: Problem
    }
}
