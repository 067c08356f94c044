/// One complete video frame as the device sent it (MJPEG bytes or uncompressed samples).
public struct UVCFrame: Sendable {
    public var format: UVCPixelFormat
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]
    /// From the payload headers, when the device sends them.
    public var presentationTime: UInt32?
    public var sourceTime: UInt32?
    /// Counts delivered frames from 1 in one stream.
    public var sequence: UInt64

    public init(format: UVCPixelFormat, width: Int, height: Int, bytes: [UInt8], presentationTime: UInt32? = nil, sourceTime: UInt32? = nil, sequence: UInt64 = 0) {
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
        self.presentationTime = presentationTime
        self.sourceTime = sourceTime
        self.sequence = sequence
    }
}

/// What one stream has seen so far, for the log, the status panel and tests.
public struct UVCStreamCounters: Sendable, Hashable, Codable {
    /// Complete frames handed on.
    public var framesDelivered = 0
    /// Frames dropped because their data was incomplete or too long (a lost packet, a device
    /// that vanished mid-frame, an overflow).
    public var tornFrames = 0
    /// Frames dropped because the device flagged an error (ERR bit) or a packet failed.
    public var erroredFrames = 0
    /// Payloads whose header made no sense; the frame they belonged to is dropped.
    public var invalidHeaders = 0
    /// Isochronous packets the host controller reported as failed.
    public var packetErrors = 0
    /// An incomplete first frame (the stream was joined mid-frame): not a fault.
    public var partialAtStart = 0
    /// Payload bytes received, headers included.
    public var bytesReceived: Int64 = 0

    public init() {}

    public var dropped: Int { tornFrames + erroredFrames }

    public static func + (lhs: UVCStreamCounters, rhs: UVCStreamCounters) -> UVCStreamCounters {
        var sum = lhs
        sum.framesDelivered += rhs.framesDelivered
        sum.tornFrames += rhs.tornFrames
        sum.erroredFrames += rhs.erroredFrames
        sum.invalidHeaders += rhs.invalidHeaders
        sum.packetErrors += rhs.packetErrors
        sum.partialAtStart += rhs.partialAtStart
        sum.bytesReceived += rhs.bytesReceived
        return sum
    }
}
