/// A configuration descriptor with everything that follows it (USB 2.0 section 9.6.3), parsed
/// from the raw bytes a device returns for GET_DESCRIPTOR(CONFIGURATION).
///
/// Class-specific descriptors are kept as raw bytes with the interface or endpoint they follow,
/// for the class parser (``UVCDeviceDescription``) to read.
public struct USBConfigurationDescriptor: Sendable, Hashable {
    public var configurationValue: UInt8
    public var attributes: UInt8
    /// In units of 2 mA (USB 2.0).
    public var maxPower: UInt8
    /// Every interface descriptor in order: each alternate setting is its own entry.
    public var interfaces: [USBInterfaceDescriptor]

    public static let descriptorType: UInt8 = 0x02
    static let interfaceType: UInt8 = 0x04
    static let endpointType: UInt8 = 0x05

    /// Parses the whole configuration; a descriptor whose length runs past the data, or is
    /// shorter than two bytes, is an error (the device is broken or the read was cut).
    public init(parsing bytes: [UInt8]) throws(USBError) {
        guard bytes.count >= 9, bytes[1] == Self.descriptorType else {
            throw USBError(.protocolViolation, "configuration descriptor: expected type 2 and at least 9 bytes, got \(bytes.count) bytes")
        }
        let reader = ByteReader(bytes)
        let total = Int(reader.u16(2))
        guard total <= bytes.count else {
            throw USBError(.protocolViolation, "configuration descriptor: wTotalLength \(total) but only \(bytes.count) bytes")
        }
        configurationValue = reader.u8(5)
        attributes = reader.u8(7)
        maxPower = reader.u8(8)
        interfaces = []
        var offset = Int(bytes[0])
        while offset < total {
            let length = Int(bytes[offset])
            guard length >= 2, offset + length <= total else {
                throw USBError(.protocolViolation, "configuration descriptor: bad descriptor length \(length) at offset \(offset)")
            }
            let descriptor = Array(bytes[offset..<offset + length])
            switch descriptor[1] {
            case Self.interfaceType:
                guard length >= 9 else {
                    throw USBError(.protocolViolation, "interface descriptor of \(length) bytes at offset \(offset)")
                }
                interfaces.append(USBInterfaceDescriptor(
                    number: descriptor[2], alternateSetting: descriptor[3], interfaceClass: descriptor[5],
                    interfaceSubclass: descriptor[6], interfaceProtocol: descriptor[7], endpoints: [], classSpecific: []
                ))
            case Self.endpointType:
                guard length >= 7, !interfaces.isEmpty else {
                    throw USBError(.protocolViolation, "endpoint descriptor of \(length) bytes at offset \(offset) outside an interface")
                }
                let r = ByteReader(descriptor)
                interfaces[interfaces.count - 1].endpoints.append(USBEndpointDescriptor(
                    address: r.u8(2), attributes: r.u8(3), maxPacketSizeField: r.u16(4), interval: r.u8(6), classSpecific: []
                ))
            default:
                // Class-specific and other descriptors belong to the endpoint or interface before them.
                if var last = interfaces.popLast() {
                    if !last.endpoints.isEmpty {
                        last.endpoints[last.endpoints.count - 1].classSpecific.append(descriptor)
                    } else {
                        last.classSpecific.append(descriptor)
                    }
                    interfaces.append(last)
                }
            }
            offset += length
        }
    }

    public func alternates(ofInterface number: UInt8) -> [USBInterfaceDescriptor] {
        interfaces.filter { $0.number == number }
    }
}

/// One alternate setting of one interface.
public struct USBInterfaceDescriptor: Sendable, Hashable {
    public var number: UInt8
    public var alternateSetting: UInt8
    public var interfaceClass: UInt8
    public var interfaceSubclass: UInt8
    public var interfaceProtocol: UInt8
    public var endpoints: [USBEndpointDescriptor]
    /// Raw class-specific descriptors that follow the interface descriptor.
    public var classSpecific: [[UInt8]]

    /// USB Video Class (0x0E) VideoControl (subclass 1).
    public var isVideoControl: Bool { interfaceClass == 0x0E && interfaceSubclass == 0x01 }
    /// USB Video Class (0x0E) VideoStreaming (subclass 2).
    public var isVideoStreaming: Bool { interfaceClass == 0x0E && interfaceSubclass == 0x02 }
}

/// One endpoint (USB 2.0 section 9.6.6).
public struct USBEndpointDescriptor: Sendable, Hashable {
    public enum TransferType: String, Sendable, Hashable {
        case control, isochronous, bulk, interrupt
    }

    public var address: UInt8
    public var attributes: UInt8
    /// wMaxPacketSize as sent: bits 0-10 the size, bits 11-12 additional transactions per
    /// microframe (high-speed isochronous and interrupt endpoints).
    public var maxPacketSizeField: UInt16
    public var interval: UInt8
    public var classSpecific: [[UInt8]]

    public var isInput: Bool { address & 0x80 != 0 }

    public var transferType: TransferType {
        switch attributes & 0x03 {
        case 0: .control
        case 1: .isochronous
        case 2: .bulk
        default: .interrupt
        }
    }

    public var maxPacketSize: Int { Int(maxPacketSizeField & 0x07FF) }

    /// Bytes the endpoint can move per (micro)frame: size × (1 + additional transactions).
    public var bytesPerInterval: Int {
        maxPacketSize * (1 + Int((maxPacketSizeField >> 11) & 0x03))
    }
}
