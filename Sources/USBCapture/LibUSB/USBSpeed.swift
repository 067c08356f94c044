import CLibUSB

/// The negotiated link speed of a device.
public enum USBSpeed: String, Sendable, Hashable, Codable {
    case low = "low (1.5 Mbit/s)"
    case full = "full (12 Mbit/s)"
    case high = "high (480 Mbit/s)"
    case superSpeed = "super (5 Gbit/s)"
    case superSpeedPlus = "super+ (10 Gbit/s)"
    case unknown

    init(libusb speed: Int32) {
        switch libusb_speed(rawValue: UInt32(bitPattern: speed)) {
        case LIBUSB_SPEED_LOW: self = .low
        case LIBUSB_SPEED_FULL: self = .full
        case LIBUSB_SPEED_HIGH: self = .high
        case LIBUSB_SPEED_SUPER: self = .superSpeed
        case LIBUSB_SPEED_SUPER_PLUS: self = .superSpeedPlus
        default: self = .unknown
        }
    }

    /// Isochronous service intervals per second: microframes at high speed and above.
    public var intervalsPerSecond: Int {
        switch self {
        case .low, .full: 1000
        default: 8000
        }
    }
}
