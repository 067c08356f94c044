import Foundation

/// The capture link as the status panel shows it: searching, streaming, or lost and why,
/// with the stream's counters.
public struct USBLinkState: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Capture is not configured.
        case disabled
        /// No matching device on the bus (unplugged, or not yet attached).
        case searching
        /// Device found; claiming and negotiating.
        case connecting
        case streaming
        /// The device went away or failed; the box looks for it again.
        case lost
        case stopped
    }

    public var phase: Phase
    public var since: Date
    /// "1d6b:0102 (Fluorobox UVC test camera) on bus 1 port 1".
    public var device: String?
    public var speed: String?
    /// "mjpeg 640x480 at 10.0 fps, isochronous alternate 3 (1024 bytes per microframe)".
    public var stream: String?
    public var lastError: String?
    /// Counters of the current stream.
    public var counters: UVCStreamCounters
    /// Counters of all streams since the agent started.
    public var totalCounters: UVCStreamCounters
    public var reconnects: Int
    /// Frames skipped because exposure detection fell behind the stream (not a device fault).
    public var framesSkipped: Int
    /// Complete frames whose content could not be decoded (a damaged JPEG): dropped.
    public var undecodableFrames: Int
    public var captures: Int
    public var lastCaptureAt: Date?

    public init(phase: Phase, since: Date = Date()) {
        self.phase = phase
        self.since = since
        counters = UVCStreamCounters()
        totalCounters = UVCStreamCounters()
        reconnects = 0
        framesSkipped = 0
        undecodableFrames = 0
        captures = 0
    }
}
