import CLibUSB

/// Facts about the libusb the agent runs against, for status and diagnostics.
public enum USBLibrary {
    /// libusb's own version, e.g. "1.0.26.11724".
    public static var version: String {
        guard let pointer = libusb_get_version() else { return "unknown" }
        let v = pointer.pointee
        return "\(v.major).\(v.minor).\(v.micro).\(v.nano)"
    }
}
