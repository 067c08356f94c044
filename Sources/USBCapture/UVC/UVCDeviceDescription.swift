/// What a USB Video Class device offers, read from its configuration descriptor: the
/// VideoControl interface and version (UVC 1.5 section 3.7) and each VideoStreaming interface
/// with its formats, frame sizes, frame intervals and endpoints (section 3.9).
public struct UVCDeviceDescription: Sendable, Hashable {
    /// bcdUVC from the VideoControl header, e.g. 0x0110 for UVC 1.1.
    public var uvcVersion: UInt16
    public var controlInterface: UInt8
    public var streamingInterfaces: [UVCStreamingInterface]

    // Class-specific descriptor types and subtypes.
    static let csInterface: UInt8 = 0x24
    static let vcHeader: UInt8 = 0x01
    static let vsInputHeader: UInt8 = 0x01
    static let vsFormatUncompressed: UInt8 = 0x04
    static let vsFrameUncompressed: UInt8 = 0x05
    static let vsFormatMJPEG: UInt8 = 0x06
    static let vsFrameMJPEG: UInt8 = 0x07
    static let vsFormatFrameBased: UInt8 = 0x10
    static let vsFrameFrameBased: UInt8 = 0x11

    /// "1.10" from 0x0110.
    public var versionText: String {
        "\(uvcVersion >> 8).\(String(format2: uvcVersion & 0xFF))"
    }

    /// Reads the UVC parts of a configuration; a configuration without a VideoControl interface
    /// and header is not a UVC device.
    public init(configuration: USBConfigurationDescriptor) throws(USBError) {
        guard let control = configuration.interfaces.first(where: { $0.isVideoControl && $0.alternateSetting == 0 }) else {
            throw USBError(.unsupportedDevice, "no USB Video Class VideoControl interface")
        }
        guard let header = control.classSpecific.first(where: { $0.count >= 12 && $0[1] == Self.csInterface && $0[2] == Self.vcHeader }) else {
            throw USBError(.protocolViolation, "VideoControl interface \(control.number) has no class-specific header")
        }
        controlInterface = control.number
        uvcVersion = ByteReader(header).u16(3)
        var streaming: [UVCStreamingInterface] = []
        let numbers = configuration.interfaces.filter(\.isVideoStreaming).map(\.number)
        for number in numbers where !streaming.contains(where: { $0.interfaceNumber == number }) {
            streaming.append(try UVCStreamingInterface(alternates: configuration.alternates(ofInterface: number)))
        }
        streamingInterfaces = streaming
    }
}

/// One VideoStreaming interface: its formats and how its data travels.
public struct UVCStreamingInterface: Sendable, Hashable {
    public var interfaceNumber: UInt8
    /// From the input header: the endpoint the video data comes from.
    public var endpointAddress: UInt8
    public var formats: [UVCFormatDescriptor]
    /// Alternate settings with an isochronous IN endpoint, with bytes per (micro)frame.
    public var isochronousAlternates: [(alternate: UInt8, endpoint: UInt8, bytesPerInterval: Int)]
    /// The bulk IN endpoint of alternate setting 0, when the interface streams by bulk.
    public var bulkEndpoint: UInt8?

    public static func == (lhs: UVCStreamingInterface, rhs: UVCStreamingInterface) -> Bool {
        lhs.interfaceNumber == rhs.interfaceNumber && lhs.endpointAddress == rhs.endpointAddress
            && lhs.formats == rhs.formats && lhs.bulkEndpoint == rhs.bulkEndpoint
            && lhs.isochronousAlternates.map(\.alternate) == rhs.isochronousAlternates.map(\.alternate)
            && lhs.isochronousAlternates.map(\.bytesPerInterval) == rhs.isochronousAlternates.map(\.bytesPerInterval)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(interfaceNumber)
        hasher.combine(formats)
    }

    public var transfer: String { bulkEndpoint != nil ? "bulk" : "isochronous" }

    init(alternates: [USBInterfaceDescriptor]) throws(USBError) {
        guard let zero = alternates.first(where: { $0.alternateSetting == 0 }) else {
            throw USBError(.protocolViolation, "VideoStreaming interface without alternate setting 0")
        }
        interfaceNumber = zero.number
        guard let header = zero.classSpecific.first(where: { $0.count >= 13 && $0[1] == UVCDeviceDescription.csInterface && $0[2] == UVCDeviceDescription.vsInputHeader }) else {
            throw USBError(.protocolViolation, "VideoStreaming interface \(zero.number) has no input header (it may be an output interface)")
        }
        endpointAddress = header[6]
        var formats: [UVCFormatDescriptor] = []
        for descriptor in zero.classSpecific where descriptor.count >= 3 && descriptor[1] == UVCDeviceDescription.csInterface {
            let r = ByteReader(descriptor)
            switch descriptor[2] {
            case UVCDeviceDescription.vsFormatMJPEG:
                guard descriptor.count >= 11 else { throw USBError(.protocolViolation, "MJPEG format descriptor of \(descriptor.count) bytes") }
                formats.append(UVCFormatDescriptor(index: r.u8(3), pixelFormat: .mjpeg, bitsPerPixel: 0, defaultFrameIndex: r.u8(6), frames: []))
            case UVCDeviceDescription.vsFormatUncompressed:
                guard descriptor.count >= 27 else { throw USBError(.protocolViolation, "uncompressed format descriptor of \(descriptor.count) bytes") }
                formats.append(UVCFormatDescriptor(
                    index: r.u8(3), pixelFormat: UVCPixelFormat(uncompressedGUID: r.slice(5, 16)),
                    bitsPerPixel: Int(r.u8(21)), defaultFrameIndex: r.u8(22), frames: []
                ))
            case UVCDeviceDescription.vsFormatFrameBased:
                guard descriptor.count >= 28 else { throw USBError(.protocolViolation, "frame-based format descriptor of \(descriptor.count) bytes") }
                let guid = r.slice(5, 4)
                let name = guid.allSatisfy { (0x20...0x7E).contains($0) } ? String(decoding: guid, as: UTF8.self) : "frame-based"
                formats.append(UVCFormatDescriptor(index: r.u8(3), pixelFormat: .unsupported(name), bitsPerPixel: Int(r.u8(21)), defaultFrameIndex: r.u8(22), frames: []))
            case UVCDeviceDescription.vsFrameMJPEG, UVCDeviceDescription.vsFrameUncompressed, UVCDeviceDescription.vsFrameFrameBased:
                guard !formats.isEmpty else { throw USBError(.protocolViolation, "frame descriptor before any format descriptor") }
                formats[formats.count - 1].frames.append(try UVCFrameDescriptor(parsing: descriptor))
            default:
                continue  // still image frames, colour matching: not needed to capture
            }
        }
        self.formats = formats
        isochronousAlternates = alternates
            .filter { $0.alternateSetting != 0 }
            .compactMap { alternate in
                guard let endpoint = alternate.endpoints.first(where: { $0.transferType == .isochronous && $0.isInput }) else { return nil }
                return (alternate.alternateSetting, endpoint.address, endpoint.bytesPerInterval)
            }
            .sorted { $0.bytesPerInterval < $1.bytesPerInterval }
        bulkEndpoint = zero.endpoints.first(where: { $0.transferType == .bulk && $0.isInput })?.address
        if bulkEndpoint == nil && isochronousAlternates.isEmpty {
            throw USBError(.protocolViolation, "VideoStreaming interface \(zero.number) has neither a bulk nor an isochronous IN endpoint")
        }
    }

    /// The smallest isochronous alternate setting that carries `payloadBytes` per
    /// (micro)frame, or the largest when none does.
    public func alternate(forPayloadBytes payloadBytes: Int) -> (alternate: UInt8, endpoint: UInt8, bytesPerInterval: Int)? {
        isochronousAlternates.first { $0.bytesPerInterval >= payloadBytes } ?? isochronousAlternates.last
    }
}

/// A format descriptor (MJPEG, uncompressed, frame-based) and its frame descriptors.
public struct UVCFormatDescriptor: Sendable, Hashable {
    public var index: UInt8
    public var pixelFormat: UVCPixelFormat
    public var bitsPerPixel: Int
    public var defaultFrameIndex: UInt8
    public var frames: [UVCFrameDescriptor]
}

/// One frame size of a format, with its frame intervals (100 ns units).
public struct UVCFrameDescriptor: Sendable, Hashable {
    public enum Intervals: Sendable, Hashable {
        case discrete([UInt32])
        case continuous(minimum: UInt32, maximum: UInt32, step: UInt32)
    }

    public var index: UInt8
    public var width: Int
    public var height: Int
    public var maxFrameBufferSize: UInt32
    public var defaultInterval: UInt32
    public var intervals: Intervals

    init(parsing descriptor: [UInt8]) throws(USBError) {
        let r = ByteReader(descriptor)
        guard descriptor.count >= 26 else {
            throw USBError(.protocolViolation, "frame descriptor of \(descriptor.count) bytes")
        }
        index = r.u8(3)
        width = Int(r.u16(5))
        height = Int(r.u16(7))
        let frameBased = descriptor[2] == UVCDeviceDescription.vsFrameFrameBased
        // Frame-based frames carry dwBytesPerLine where the others carry dwMaxVideoFrameBufferSize.
        maxFrameBufferSize = frameBased ? 0 : r.u32(17)
        defaultInterval = r.u32(21)
        let intervalType = Int(r.u8(25))
        let first = 26
        if intervalType == 0 {
            guard descriptor.count >= first + 12 else { throw USBError(.protocolViolation, "continuous frame descriptor of \(descriptor.count) bytes") }
            intervals = .continuous(minimum: r.u32(first), maximum: r.u32(first + 4), step: r.u32(first + 8))
        } else {
            guard descriptor.count >= first + 4 * intervalType else {
                throw USBError(.protocolViolation, "frame descriptor lists \(intervalType) intervals in \(descriptor.count) bytes")
            }
            intervals = .discrete((0..<intervalType).map { r.u32(first + 4 * $0) })
        }
        guard width > 0, height > 0 else { throw USBError(.protocolViolation, "frame descriptor \(index) has size \(width)x\(height)") }
    }

    /// Frames per second at an interval in 100 ns units.
    public static func framesPerSecond(_ interval: UInt32) -> Double {
        interval == 0 ? 0 : 10_000_000 / Double(interval)
    }

    /// The interval the device supports that is closest to the wanted one.
    public func closestInterval(to wanted: UInt32) -> UInt32 {
        switch intervals {
        case .discrete(let list):
            return list.min { abs(Int64($0) - Int64(wanted)) < abs(Int64($1) - Int64(wanted)) } ?? defaultInterval
        case .continuous(let minimum, let maximum, let step):
            let clamped = min(max(wanted, minimum), maximum)
            guard step > 0 else { return clamped }
            return minimum + (clamped - minimum) / step * step
        }
    }
}

extension String {
    fileprivate init(format2 value: UInt16) {
        let text = String(value, radix: 16)
        self = text.count == 1 ? "0" + text : text
    }
}
