/// What the box would like from a camera, in order of preference.
public struct UVCStreamPreferences: Sendable, Hashable {
    /// Pixel formats, best first. Lossless formats come first by default: an X-ray image should
    /// not pass through JPEG when the grabber can send it raw.
    public var formats: [UVCPixelFormat] = [.y16, .grey, .yuy2, .mjpeg]
    /// An exact frame size; when nil the largest size within `maximumWidth` × `maximumHeight`.
    public var width: Int?
    public var height: Int?
    public var maximumWidth = 4096
    public var maximumHeight = 4096
    /// Wanted frame rate; nil takes the device's default interval.
    public var framesPerSecond: Double?

    public init() {}
}

/// The stream a negotiation settled on.
public struct UVCStreamSelection: Sendable, Hashable, CustomStringConvertible {
    public var interfaceNumber: UInt8
    public var format: UVCFormatDescriptor
    public var frame: UVCFrameDescriptor
    /// 100 ns units.
    public var frameInterval: UInt32
    /// The control block the device committed to.
    public var committed: UVCStreamingControl
    /// Filled in when streaming starts: alternate setting and how the endpoint is read.
    public var alternateSetting: UInt8 = 0
    public var plan: USBStreamPlan?

    public var framesPerSecond: Double { UVCFrameDescriptor.framesPerSecond(frameInterval) }

    public var description: String {
        var text = "\(format.pixelFormat) \(frame.width)x\(frame.height) at \(String(format1: framesPerSecond)) fps"
        switch plan?.transfer {
        case .isochronous(let size, _)?: text += ", isochronous alternate \(alternateSetting) (\(size) bytes per microframe)"
        case .bulk(let size)?: text += ", bulk (\(size)-byte payloads)"
        case nil: break
        }
        return text
    }
}

extension String {
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
