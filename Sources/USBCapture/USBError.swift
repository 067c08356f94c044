import CLibUSB

/// Why a USB operation failed, with what a technician needs to act on it.
///
/// Every libusb return code becomes one of these in one place, ``USBError/check(_:_:)``; the UVC
/// layer adds its own codes for devices that answer, but not as the class specification says.
public struct USBError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case io = "input/output error"
            case invalidParameter = "invalid parameter"
            case access = "no permission to use the device"
            case noDevice = "the device is gone"
            case notFound = "not found"
            case busy = "the device or interface is busy"
            case timeout = "timed out"
            case overflow = "the device sent more than asked for"
            case pipe = "the device stalled the request"
            case interrupted = "interrupted"
            case noMemory = "out of memory"
            case notSupported = "not supported by this system"
            case other = "libusb error"
            case protocolViolation = "the device broke the USB Video Class protocol"
            case unsupportedDevice = "the device offers nothing this box can capture"
        }

        fileprivate let value: Value

        public static let io = Code(value: .io)
        public static let invalidParameter = Code(value: .invalidParameter)
        public static let access = Code(value: .access)
        public static let noDevice = Code(value: .noDevice)
        public static let notFound = Code(value: .notFound)
        public static let busy = Code(value: .busy)
        public static let timeout = Code(value: .timeout)
        public static let overflow = Code(value: .overflow)
        public static let pipe = Code(value: .pipe)
        public static let interrupted = Code(value: .interrupted)
        public static let noMemory = Code(value: .noMemory)
        public static let notSupported = Code(value: .notSupported)
        public static let other = Code(value: .other)
        public static let protocolViolation = Code(value: .protocolViolation)
        public static let unsupportedDevice = Code(value: .unsupportedDevice)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// What the box was doing, and anything the device said.
    public let detail: String
    /// The libusb return code, when the failure came from libusb.
    public let libusbCode: Int32?

    public init(_ code: Code, _ detail: String, libusbCode: Int32? = nil) {
        self.code = code
        self.detail = detail
        self.libusbCode = libusbCode
    }

    /// True when the device went away (unplugged, or its USB/IP link dropped): the capture loop
    /// waits for it to come back rather than reporting a fault.
    public var isDisconnect: Bool { code == .noDevice }

    public var description: String { "\(detail): \(code)" }

    /// The one conversion point from libusb return codes: negative values throw, others are
    /// returned (byte counts, device counts).
    @discardableResult
    static func check(_ result: Int32, _ action: @autoclosure () -> String) throws(USBError) -> Int32 {
        guard result < 0 else { return result }
        throw USBError(libusb: result, action())
    }

    @discardableResult
    static func check(_ result: Int, _ action: @autoclosure () -> String) throws(USBError) -> Int {
        guard result < 0 else { return result }
        throw USBError(libusb: Int32(truncatingIfNeeded: result), action())
    }

    /// Maps a libusb error or transfer status to a code.
    init(libusb result: Int32, _ action: String) {
        let code: Code = switch libusb_error(rawValue: result) {
        case LIBUSB_ERROR_IO: .io
        case LIBUSB_ERROR_INVALID_PARAM: .invalidParameter
        case LIBUSB_ERROR_ACCESS: .access
        case LIBUSB_ERROR_NO_DEVICE: .noDevice
        case LIBUSB_ERROR_NOT_FOUND: .notFound
        case LIBUSB_ERROR_BUSY: .busy
        case LIBUSB_ERROR_TIMEOUT: .timeout
        case LIBUSB_ERROR_OVERFLOW: .overflow
        case LIBUSB_ERROR_PIPE: .pipe
        case LIBUSB_ERROR_INTERRUPTED: .interrupted
        case LIBUSB_ERROR_NO_MEM: .noMemory
        case LIBUSB_ERROR_NOT_SUPPORTED: .notSupported
        default: .other
        }
        let name = libusb_error_name(result).map { String(cString: $0) } ?? "LIBUSB_ERROR_\(result)"
        self.init(code, "\(action) (\(name))", libusbCode: result)
    }

    /// Maps the status of a finished asynchronous transfer.
    init(transferStatus status: libusb_transfer_status, _ action: String) {
        let code: Code = switch status {
        case LIBUSB_TRANSFER_TIMED_OUT: .timeout
        case LIBUSB_TRANSFER_STALL: .pipe
        case LIBUSB_TRANSFER_NO_DEVICE: .noDevice
        case LIBUSB_TRANSFER_OVERFLOW: .overflow
        case LIBUSB_TRANSFER_CANCELLED: .interrupted
        default: .io
        }
        self.init(code, "\(action) (transfer status \(status.rawValue))")
    }
}
