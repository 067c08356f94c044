/// A USB Video Class camera on a channel: chooses a format, negotiates it with probe/commit
/// (UVC 1.5 section 4.3.1.1.1), selects the streaming alternate setting by bandwidth, and
/// streams frames.
public final class UVCCamera {
    public let channel: any USBDeviceChannel
    public let description: UVCDeviceDescription

    static let classRequestOut: UInt8 = 0x21
    static let classRequestIn: UInt8 = 0xA1

    public init(channel: any USBDeviceChannel) throws(USBError) {
        self.channel = channel
        let configuration = try USBConfigurationDescriptor(parsing: channel.configurationBytes)
        description = try UVCDeviceDescription(configuration: configuration)
    }

    /// Picks interface, format, frame size and interval by the preferences; nil when the device
    /// offers no format the box can use.
    public static func choose(_ preferences: UVCStreamPreferences, from description: UVCDeviceDescription) -> (UVCStreamingInterface, UVCFormatDescriptor, UVCFrameDescriptor, UInt32)? {
        for wanted in preferences.formats {
            for interface in description.streamingInterfaces {
                for format in interface.formats where format.pixelFormat == wanted && !format.frames.isEmpty {
                    let frame: UVCFrameDescriptor?
                    if let width = preferences.width, let height = preferences.height {
                        frame = format.frames.first { $0.width == width && $0.height == height }
                    } else {
                        frame = format.frames
                            .filter { $0.width <= preferences.maximumWidth && $0.height <= preferences.maximumHeight }
                            .max { $0.width * $0.height < $1.width * $1.height }
                    }
                    guard let frame else { continue }
                    let interval = preferences.framesPerSecond.map { frame.closestInterval(to: UInt32(10_000_000 / $0)) } ?? frame.defaultInterval
                    return (interface, format, frame, interval == 0 ? frame.closestInterval(to: 333_333) : interval)
                }
            }
        }
        return nil
    }

    /// Claims the interfaces and runs probe/commit for the preferred stream.
    public func negotiate(_ preferences: UVCStreamPreferences) throws(USBError) -> UVCStreamSelection {
        guard let (interface, format, frame, interval) = Self.choose(preferences, from: description) else {
            let offered = description.streamingInterfaces.flatMap(\.formats).map { "\($0.pixelFormat) " + $0.frames.map { "\($0.width)x\($0.height)" }.joined(separator: ",") }
            throw USBError(.unsupportedDevice, "no offered format matches the preferences (\(preferences.formats.map(\.name).joined(separator: ", "))); the device offers: \(offered.joined(separator: "; "))")
        }
        try channel.claimInterface(description.controlInterface)
        try channel.claimInterface(interface.interfaceNumber)
        // A stream left running by an earlier process would keep its bandwidth.
        if !interface.isochronousAlternates.isEmpty {
            try channel.setAlternateSetting(0, interface: interface.interfaceNumber)
        }
        let length = UVCStreamingControl.length(forVersion: description.uvcVersion)
        var probe = UVCStreamingControl()
        probe.hint = UVCStreamingControl.hintFrameInterval
        probe.formatIndex = format.index
        probe.frameIndex = frame.index
        probe.frameInterval = interval
        let index = UInt16(interface.interfaceNumber)
        try channel.controlOut(requestType: Self.classRequestOut, request: UVCStreamingControl.setCurrent, value: UInt16(UVCStreamingControl.probeSelector) << 8, index: index, data: probe.bytes(length: length))
        let answer = try channel.controlIn(requestType: Self.classRequestIn, request: UVCStreamingControl.getCurrent, value: UInt16(UVCStreamingControl.probeSelector) << 8, index: index, length: length)
        let agreed = try UVCStreamingControl(parsing: answer)
        guard agreed.formatIndex == format.index, agreed.frameIndex == frame.index else {
            throw USBError(.protocolViolation, "probe asked for format \(format.index) frame \(frame.index), the device answered format \(agreed.formatIndex) frame \(agreed.frameIndex)")
        }
        guard agreed.maxPayloadTransferSize > 0 else {
            throw USBError(.protocolViolation, "probe answer has dwMaxPayloadTransferSize 0")
        }
        try channel.controlOut(requestType: Self.classRequestOut, request: UVCStreamingControl.setCurrent, value: UInt16(UVCStreamingControl.commitSelector) << 8, index: index, data: agreed.bytes(length: length))
        var selection = UVCStreamSelection(
            interfaceNumber: interface.interfaceNumber, format: format, frame: frame,
            frameInterval: agreed.frameInterval == 0 ? interval : agreed.frameInterval, committed: agreed
        )
        if let bulk = interface.bulkEndpoint {
            let size = Int(min(agreed.maxPayloadTransferSize, 4 << 20))
            selection.plan = USBStreamPlan(endpoint: bulk, transfer: .bulk(transferSize: size), transfersInFlight: 4)
        } else if let alternate = interface.alternate(forPayloadBytes: Int(agreed.maxPayloadTransferSize)) {
            selection.alternateSetting = alternate.alternate
            // 32 packets: 4 ms of microframes per transfer at high speed.
            selection.plan = USBStreamPlan(endpoint: alternate.endpoint, transfer: .isochronous(packetSize: alternate.bytesPerInterval, packetsPerTransfer: 32), transfersInFlight: 6)
        }
        return selection
    }

    /// Streams the negotiated selection until `stop` is raised or the device fails; each frame
    /// (or dropped frame) goes to `event` on the streaming thread. Returns the stream's counters;
    /// a failure is thrown with the counters so far in `counters`.
    public func stream(_ selection: UVCStreamSelection, idleTimeoutMilliseconds: UInt32 = 5_000, until stop: USBStopSignal, counters: inout UVCStreamCounters, event: (UVCFrameAssembler.Event, UVCStreamCounters) -> Void) throws(USBError) {
        guard var plan = selection.plan else {
            throw USBError(.protocolViolation, "interface \(selection.interfaceNumber) has no endpoint for a \(selection.committed.maxPayloadTransferSize)-byte payload")
        }
        plan.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        if case .isochronous = plan.transfer {
            try channel.setAlternateSetting(selection.alternateSetting, interface: selection.interfaceNumber)
        }
        var assembler = UVCFrameAssembler(
            format: selection.format.pixelFormat, width: selection.frame.width, height: selection.frame.height,
            maxFrameSize: Int(selection.committed.maxVideoFrameSize)
        )
        defer {
            counters = assembler.counters
            if case .isochronous = plan.transfer {
                try? channel.setAlternateSetting(0, interface: selection.interfaceNumber)
            }
        }
        do {
            try channel.stream(plan, until: stop) { payload, failed in
                for item in assembler.consume(payload, failed: failed) { event(item, assembler.counters) }
            }
        } catch {
            if let torn = assembler.streamInterrupted() { event(torn, assembler.counters) }
            if error.code == .pipe { try? channel.clearHalt(endpoint: plan.endpoint) }
            throw error
        }
    }
}
