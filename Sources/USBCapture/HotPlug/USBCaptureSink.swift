import Imaging

/// Where the capture loop hands what it sees, as DICOMNetwork hands instances to its
/// InstanceReceiver: USBCapture knows devices and video, not how a box stores a study.
public protocol USBCaptureSink: Sendable {
    /// Stores one exposure durably. Returns what identifies the stored capture in the log (a SOP
    /// Instance UID); throws when nothing was stored.
    func store(_ exposure: USBExposure) async throws -> String
    /// The link changed: its phase, a capture, or (at most every couple of seconds) its counters.
    func linkChanged(_ link: USBLinkState) async
}

/// One detected exposure: the averaged frames and where they came from.
public struct USBExposure: Sendable {
    public let image: GrayscaleImage
    public let framesIntegrated: Int
    public let device: USBDeviceInfo
    public let stream: UVCStreamSelection

    public init(image: GrayscaleImage, framesIntegrated: Int, device: USBDeviceInfo, stream: UVCStreamSelection) {
        self.image = image
        self.framesIntegrated = framesIntegrated
        self.device = device
        self.stream = stream
    }
}
