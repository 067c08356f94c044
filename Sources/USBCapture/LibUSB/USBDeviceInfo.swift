import CLibUSB

/// What the bus says about one device, without claiming it.
public struct USBDeviceInfo: Sendable, Hashable, Codable {
    public var bus: UInt8
    public var address: UInt8
    /// Hub ports from the root, e.g. [1, 3]; with the bus it names the physical socket.
    public var portPath: [UInt8]
    public var vendorID: UInt16
    public var productID: UInt16
    public var bcdUSB: UInt16
    public var deviceClass: UInt8
    public var speed: USBSpeed
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?
    /// Why the strings could not be read (often: no permission), when they could not.
    public var stringsProblem: String?
    /// The active (or first) configuration, re-assembled from libusb's parse.
    public var configurationBytes: [UInt8]

    public init(
        bus: UInt8, address: UInt8, portPath: [UInt8], vendorID: UInt16, productID: UInt16, bcdUSB: UInt16 = 0x0200,
        deviceClass: UInt8 = 0xEF, speed: USBSpeed = .high, manufacturer: String? = nil, product: String? = nil,
        serialNumber: String? = nil, configurationBytes: [UInt8] = []
    ) {
        self.bus = bus
        self.address = address
        self.portPath = portPath
        self.vendorID = vendorID
        self.productID = productID
        self.bcdUSB = bcdUSB
        self.deviceClass = deviceClass
        self.speed = speed
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
        self.configurationBytes = configurationBytes
    }

    /// "1d6b:0102".
    public var vendorProduct: String { Self.hex4(vendorID) + ":" + Self.hex4(productID) }

    /// "bus 1 port 1.3".
    public var location: String {
        "bus \(bus) port " + (portPath.isEmpty ? "?" : portPath.map(String.init).joined(separator: "."))
    }

    public var name: String {
        let label = [manufacturer, product].compactMap { $0 }.joined(separator: " ")
        return vendorProduct + (label.isEmpty ? "" : " (\(label))")
    }

    /// The parsed configuration; nil when the descriptor is malformed.
    public var configuration: USBConfigurationDescriptor? {
        try? USBConfigurationDescriptor(parsing: configurationBytes)
    }

    /// True when the device has a USB Video Class VideoControl interface.
    public var isVideoDevice: Bool {
        configuration?.interfaces.contains(where: \.isVideoControl) ?? false
    }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    init(device: OpaquePointer) {
        var descriptor = libusb_device_descriptor()
        _ = libusb_get_device_descriptor(device, &descriptor)
        var ports = [UInt8](repeating: 0, count: 8)
        let depth = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        self.init(
            bus: libusb_get_bus_number(device), address: libusb_get_device_address(device),
            portPath: depth > 0 ? Array(ports.prefix(Int(depth))) : [],
            vendorID: descriptor.idVendor, productID: descriptor.idProduct, bcdUSB: descriptor.bcdUSB,
            deviceClass: descriptor.bDeviceClass, speed: USBSpeed(libusb: libusb_get_device_speed(device)),
            configurationBytes: Self.configurationBytes(device: device)
        )
    }

    /// Opens the device briefly to read its string descriptors.
    mutating func readStrings(device: OpaquePointer) {
        var handle: OpaquePointer?
        let status = libusb_open(device, &handle)
        guard status == 0, let handle else {
            stringsProblem = USBError(libusb: status, "opening the device to read its names").description
            return
        }
        defer { libusb_close(handle) }
        var descriptor = libusb_device_descriptor()
        _ = libusb_get_device_descriptor(device, &descriptor)
        manufacturer = Self.string(handle, descriptor.iManufacturer)
        product = Self.string(handle, descriptor.iProduct)
        serialNumber = Self.string(handle, descriptor.iSerialNumber)
    }

    static func string(_ handle: OpaquePointer, _ index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(count)), as: UTF8.self)
    }

    /// The raw configuration descriptor, re-assembled from libusb's parsed form: libusb keeps
    /// every class-specific byte in the `extra` of what it follows, in order.
    static func configurationBytes(device: OpaquePointer) -> [UInt8] {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(device, &config) != 0 || config == nil {
            guard libusb_get_config_descriptor(device, 0, &config) == 0 else { return [] }
        }
        guard let config else { return [] }
        defer { libusb_free_config_descriptor(config) }
        let c = config.pointee
        var bytes: [UInt8] = [9, c.bDescriptorType, 0, 0, c.bNumInterfaces, c.bConfigurationValue, c.iConfiguration, c.bmAttributes, c.MaxPower]
        func extra(_ pointer: UnsafePointer<UInt8>?, _ length: Int32) {
            guard let pointer, length > 0 else { return }
            bytes += UnsafeBufferPointer(start: pointer, count: Int(length))
        }
        extra(c.extra, c.extra_length)
        for i in 0..<Int(c.bNumInterfaces) {
            let interface = c.interface[i]
            for a in 0..<Int(interface.num_altsetting) {
                let alt = interface.altsetting[a]
                bytes += [9, alt.bDescriptorType, alt.bInterfaceNumber, alt.bAlternateSetting, alt.bNumEndpoints, alt.bInterfaceClass, alt.bInterfaceSubClass, alt.bInterfaceProtocol, alt.iInterface]
                extra(alt.extra, alt.extra_length)
                for e in 0..<Int(alt.bNumEndpoints) {
                    let ep = alt.endpoint[e]
                    bytes += [7, ep.bDescriptorType, ep.bEndpointAddress, ep.bmAttributes, UInt8(ep.wMaxPacketSize & 0xFF), UInt8(ep.wMaxPacketSize >> 8), ep.bInterval]
                    if ep.bLength >= 9 {
                        bytes[bytes.count - 7] = 9
                        bytes += [ep.bRefresh, ep.bSynchAddress]
                    }
                    extra(ep.extra, ep.extra_length)
                }
            }
        }
        bytes[2] = UInt8(bytes.count & 0xFF)
        bytes[3] = UInt8(bytes.count >> 8)
        return bytes
    }
}
