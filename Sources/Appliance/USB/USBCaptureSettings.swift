import USBCapture

/// How the box captures from a USB video grabber or detector (the `usb.*` keys).
public struct USBCaptureSettings: Sendable, Hashable {
    /// Capture runs only when enabled.
    public var enabled = false
    public var device: USBDeviceMatch = .firstVideoDevice
    public var formats: [UVCPixelFormat] = UVCStreamPreferences().formats
    /// An exact frame size; nil takes the largest the device offers.
    public var width: Int?
    public var height: Int?
    /// nil takes the device's default frame rate.
    public var framesPerSecond: Double?
    public var exposure = ExposureDetector.Settings()
    /// Seconds between looks for the device while it is absent.
    public var searchIntervalSeconds: Double = 1
    /// Seconds without video data after which the device counts as stalled and is reopened.
    public var stallTimeoutSeconds: Double = 5
    /// Modality written into captures.
    public var modality = "DX"
    /// Station name written into captures; empty uses the device's name.
    public var stationName: String?

    public init() {}

    /// The stream preferences these settings imply.
    public var preferences: UVCStreamPreferences {
        var preferences = UVCStreamPreferences()
        preferences.formats = formats
        preferences.width = width
        preferences.height = height
        preferences.framesPerSecond = framesPerSecond
        return preferences
    }

    /// What the hot-plug loop needs of these settings.
    public var loop: USBCaptureLoop.Settings {
        USBCaptureLoop.Settings(
            device: device, preferences: preferences, exposure: exposure,
            searchIntervalSeconds: searchIntervalSeconds, stallTimeoutSeconds: stallTimeoutSeconds
        )
    }
}
