/// The Video Probe and Commit control block (UVC 1.5 section 4.3.1.1, table 4-75): 26 bytes in
/// UVC 1.0, 34 in 1.1, 48 in 1.5.
public struct UVCStreamingControl: Sendable, Hashable {
    public var hint: UInt16 = 0
    public var formatIndex: UInt8 = 0
    public var frameIndex: UInt8 = 0
    /// 100 ns units.
    public var frameInterval: UInt32 = 0
    public var keyFrameRate: UInt16 = 0
    public var pFrameRate: UInt16 = 0
    public var compressionQuality: UInt16 = 0
    public var compressionWindowSize: UInt16 = 0
    public var delay: UInt16 = 0
    public var maxVideoFrameSize: UInt32 = 0
    public var maxPayloadTransferSize: UInt32 = 0
    // UVC 1.1
    public var clockFrequency: UInt32 = 0
    public var framingInfo: UInt8 = 0
    public var preferredVersion: UInt8 = 0
    public var minVersion: UInt8 = 0
    public var maxVersion: UInt8 = 0
    // UVC 1.5
    public var usage: UInt8 = 0
    public var bitDepthLuma: UInt8 = 0
    public var settings: UInt8 = 0
    public var maxNumberOfRefFramesPlus1: UInt8 = 0
    public var rateControlModes: UInt16 = 0
    public var layoutPerStream: UInt64 = 0

    /// bmHint bit 0: keep dwFrameInterval fixed while negotiating.
    public static let hintFrameInterval: UInt16 = 0x0001

    /// Control selectors (table A-9) and requests (table A-8).
    public static let probeSelector: UInt8 = 0x01
    public static let commitSelector: UInt8 = 0x02
    public static let setCurrent: UInt8 = 0x01
    public static let getCurrent: UInt8 = 0x81
    public static let getMinimum: UInt8 = 0x82
    public static let getMaximum: UInt8 = 0x83

    public init() {}

    /// The block length a device of this UVC version expects.
    public static func length(forVersion bcdUVC: UInt16) -> Int {
        if bcdUVC >= 0x0150 { return 48 }
        if bcdUVC >= 0x0110 { return 34 }
        return 26
    }

    /// Reads a block; the device may return any of the three lengths (at least 26 bytes).
    public init(parsing bytes: [UInt8]) throws(USBError) {
        guard bytes.count >= 26 else {
            throw USBError(.protocolViolation, "probe/commit control of \(bytes.count) bytes (at least 26 expected)")
        }
        let r = ByteReader(bytes)
        hint = r.u16(0)
        formatIndex = r.u8(2)
        frameIndex = r.u8(3)
        frameInterval = r.u32(4)
        keyFrameRate = r.u16(8)
        pFrameRate = r.u16(10)
        compressionQuality = r.u16(12)
        compressionWindowSize = r.u16(14)
        delay = r.u16(16)
        maxVideoFrameSize = r.u32(18)
        maxPayloadTransferSize = r.u32(22)
        if bytes.count >= 34 {
            clockFrequency = r.u32(26)
            framingInfo = r.u8(30)
            preferredVersion = r.u8(31)
            minVersion = r.u8(32)
            maxVersion = r.u8(33)
        }
        if bytes.count >= 48 {
            usage = r.u8(34)
            bitDepthLuma = r.u8(35)
            settings = r.u8(36)
            maxNumberOfRefFramesPlus1 = r.u8(37)
            rateControlModes = r.u16(38)
            layoutPerStream = r.u64(40)
        }
    }

    /// The block as `length` bytes (26, 34 or 48).
    public func bytes(length: Int) -> [UInt8] {
        var w = ByteWriter(count: length)
        w.u16(0, hint)
        w.u8(2, formatIndex)
        w.u8(3, frameIndex)
        w.u32(4, frameInterval)
        w.u16(8, keyFrameRate)
        w.u16(10, pFrameRate)
        w.u16(12, compressionQuality)
        w.u16(14, compressionWindowSize)
        w.u16(16, delay)
        w.u32(18, maxVideoFrameSize)
        w.u32(22, maxPayloadTransferSize)
        if length >= 34 {
            w.u32(26, clockFrequency)
            w.u8(30, framingInfo)
            w.u8(31, preferredVersion)
            w.u8(32, minVersion)
            w.u8(33, maxVersion)
        }
        if length >= 48 {
            w.u8(34, usage)
            w.u8(35, bitDepthLuma)
            w.u8(36, settings)
            w.u8(37, maxNumberOfRefFramesPlus1)
            w.u16(38, rateControlModes)
            w.u64(40, layoutPerStream)
        }
        return w.bytes
    }
}
