/// Which device the box captures from (configuration key `usb.device`).
public enum USBDeviceMatch: Sendable, Hashable, CustomStringConvertible {
    /// The first device with a USB Video Class interface.
    case firstVideoDevice
    /// A vendor and product ID, optionally with a serial number (two identical grabbers).
    case vendorProduct(vendor: UInt16, product: UInt16, serial: String?)
    /// Any device with this serial number.
    case serial(String)

    /// Parses `auto`, `VVVV:PPPP`, `VVVV:PPPP:SERIAL` or `serial:SERIAL` (hex IDs).
    public init?(parsing text: String) {
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty || trimmed.lowercased() == "auto" {
            self = .firstVideoDevice
            return
        }
        let parts = trimmed.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0].lowercased() == "serial", !parts[1].isEmpty {
            self = .serial(parts[1])
            return
        }
        guard parts.count >= 2, parts[0].count == 4, parts[1].count == 4,
              let vendor = UInt16(parts[0], radix: 16), let product = UInt16(parts[1], radix: 16) else { return nil }
        let serial = parts.count == 3 && !parts[2].isEmpty ? parts[2] : nil
        self = .vendorProduct(vendor: vendor, product: product, serial: serial)
    }

    public func matches(_ device: USBDeviceInfo) -> Bool {
        switch self {
        case .firstVideoDevice:
            return device.isVideoDevice
        case .vendorProduct(let vendor, let product, let serial):
            return device.vendorID == vendor && device.productID == product && (serial == nil || device.serialNumber == serial)
        case .serial(let serial):
            return device.serialNumber == serial
        }
    }

    /// The first matching device in bus order.
    public func select(from devices: [USBDeviceInfo]) -> USBDeviceInfo? {
        devices.sorted { a, b in a.bus != b.bus ? a.bus < b.bus : a.portPath.lexicographicallyPrecedes(b.portPath) }
            .first(where: matches)
    }

    public var description: String {
        switch self {
        case .firstVideoDevice: "the first USB video device"
        case .vendorProduct(let vendor, let product, let serial):
            USBDeviceInfo.hex4(vendor) + ":" + USBDeviceInfo.hex4(product) + (serial.map { " serial \($0)" } ?? "")
        case .serial(let serial): "serial \(serial)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
