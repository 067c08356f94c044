/// Builds frames from UVC payloads (UVC 1.5 section 2.4.3): a frame ends at a payload with EOF
/// set, or when the frame ID bit toggles (devices without EOF). A frame whose size is wrong, that
/// lacks a JPEG end marker, that had a bad header or packet, or that the device flagged with ERR
/// is dropped and counted, never handed on.
public struct UVCFrameAssembler: Sendable {
    public enum DropReason: String, Sendable, Hashable {
        case torn = "incomplete frame (data missing)"
        case overflow = "frame longer than negotiated"
        case errorBit = "device flagged the frame as erroneous (ERR)"
        case packetError = "a packet of the frame failed on the bus"
        case invalidHeader = "a payload of the frame had an invalid header"
        case notJPEG = "MJPEG frame without JPEG start or end marker"
    }

    public enum Event: Sendable {
        case frame(UVCFrame)
        case dropped(DropReason, bytes: Int)
    }

    public let format: UVCPixelFormat
    public let width: Int
    public let height: Int
    /// dwMaxVideoFrameSize from the committed probe: longer frames are dropped.
    public let maxFrameSize: Int
    public private(set) var counters = UVCStreamCounters()

    private var buffer: [UInt8] = []
    private var inFrame = false
    private var frameID = false
    private var problem: DropReason?
    private var presentationTime: UInt32?
    private var sourceTime: UInt32?
    private var seenFirstBoundary = false

    public init(format: UVCPixelFormat, width: Int, height: Int, maxFrameSize: Int) {
        self.format = format
        self.width = width
        self.height = height
        let expected = format.bytesPerPixel.map { $0 * width * height } ?? 0
        self.maxFrameSize = max(maxFrameSize, expected)
        buffer.reserveCapacity(min(self.maxFrameSize, 64 << 20))
    }

    /// Bytes of a complete uncompressed frame; nil for MJPEG.
    public var expectedFrameBytes: Int? { format.bytesPerPixel.map { $0 * width * height } }

    /// Feeds one payload (an isochronous packet or a bulk transfer). `failed` marks a packet the
    /// host controller reported as bad: its frame cannot be trusted.
    public mutating func consume(_ payload: UnsafeRawBufferPointer, failed: Bool = false) -> [Event] {
        counters.bytesReceived += Int64(payload.count)
        if failed {
            counters.packetErrors += 1
            if inFrame { problem = problem ?? .packetError }
            return []
        }
        if payload.isEmpty { return [] }
        let header: UVCPayloadHeader
        switch UVCPayloadHeader.parse(payload) {
        case .success(let parsed):
            header = parsed
        case .failure:
            counters.invalidHeaders += 1
            if inFrame { problem = problem ?? .invalidHeader }
            return []
        }
        var events: [Event] = []
        let data = UnsafeRawBufferPointer(rebasing: payload[header.length...])
        if inFrame && header.frameID != frameID {
            // The frame ID toggled without an EOF: the previous frame ended there.
            if let event = finishFrame() { events.append(event) }
        }
        if !inFrame {
            // After an EOF a header-only payload (some devices repeat the last header) starts nothing.
            if data.isEmpty && !header.error { frameID = header.frameID; return events }
            inFrame = true
            frameID = header.frameID
            buffer.removeAll(keepingCapacity: true)
            problem = nil
            presentationTime = nil
            sourceTime = nil
        }
        if header.error { problem = problem ?? .errorBit }
        if let pts = header.presentationTime { presentationTime = pts }
        if let scr = header.sourceClock { sourceTime = scr.sourceTime }
        if buffer.count + data.count > maxFrameSize {
            problem = problem ?? .overflow
        } else if problem == nil {
            buffer.append(contentsOf: data)
        }
        if header.endOfFrame, let event = finishFrame() {
            events.append(event)
        }
        return events
    }

    public mutating func consume(_ payload: [UInt8], failed: Bool = false) -> [Event] {
        payload.withUnsafeBytes { consume($0, failed: failed) }
    }

    /// The stream stopped (device gone, transfer error): a frame in progress is torn.
    public mutating func streamInterrupted() -> Event? {
        guard inFrame else { return nil }
        inFrame = false
        counters.tornFrames += 1
        let bytes = buffer.count
        buffer.removeAll(keepingCapacity: true)
        return .dropped(.torn, bytes: bytes)
    }

    private mutating func finishFrame() -> Event? {
        inFrame = false
        let first = !seenFirstBoundary
        seenFirstBoundary = true
        let bytes = buffer.count
        var reason = problem
        var length = bytes
        if reason == nil {
            if let expected = expectedFrameBytes {
                if bytes < expected { reason = .torn } else if bytes > expected { reason = .overflow }
            } else if format == .mjpeg {
                if let end = Self.jpegLength(buffer) { length = end } else { reason = bytes < 4 || buffer[0] != 0xFF || buffer[1] != 0xD8 ? .notJPEG : .torn }
            }
        }
        if let reason {
            switch reason {
            case .errorBit, .packetError: counters.erroredFrames += 1
            case .torn where first && problem == nil: counters.partialAtStart += 1
            case .notJPEG where first && problem == nil: counters.partialAtStart += 1
            default: counters.tornFrames += 1
            }
            buffer.removeAll(keepingCapacity: true)
            return .dropped(reason, bytes: bytes)
        }
        counters.framesDelivered += 1
        let frame = UVCFrame(
            format: format, width: width, height: height, bytes: Array(buffer.prefix(length)),
            presentationTime: presentationTime, sourceTime: sourceTime, sequence: UInt64(counters.framesDelivered)
        )
        buffer.removeAll(keepingCapacity: true)
        return .frame(frame)
    }

    /// The length of a JPEG that starts with SOI and ends with EOI, allowing the zero padding
    /// some devices add after EOI; nil when either marker is missing.
    static func jpegLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var end = bytes.count
        var padding = 0
        while end > 2, bytes[end - 1] == 0x00, padding < 4096 {
            end -= 1
            padding += 1
        }
        guard end >= 4, bytes[end - 2] == 0xFF, bytes[end - 1] == 0xD9 else { return nil }
        return end
    }
}
