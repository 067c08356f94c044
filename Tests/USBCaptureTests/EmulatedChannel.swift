import USBCapture
import UVCEmulator

/// The in-process channel to an emulated camera: the same device the USB/IP server exports to
/// the QEMU guest, without a bus in between.
final class EmulatedChannel: USBDeviceChannel {
    let camera: EmulatedUVCCamera
    var claimed: [UInt8] = []
    var alternates: [UInt8] = []
    var halts: [UInt8] = []
    /// Payloads handed to the stream callback so far.
    var payloads = 0

    init(camera: EmulatedUVCCamera) {
        self.camera = camera
    }

    var configurationBytes: [UInt8] { camera.configurationDescriptor }
    var speed: USBSpeed { .high }

    func claimInterface(_ number: UInt8) throws(USBError) { claimed.append(number) }
    func releaseInterface(_ number: UInt8) { claimed.removeAll { $0 == number } }

    func setAlternateSetting(_ alternate: UInt8, interface: UInt8) throws(USBError) {
        alternates.append(alternate)
        _ = try send([0x01, 0x0B, alternate, 0, interface, 0, 0, 0], [])
    }

    func clearHalt(endpoint: UInt8) throws(USBError) {
        halts.append(endpoint)
        _ = try send([0x02, 0x01, 0, 0, endpoint, 0, 0, 0], [])
    }

    func controlIn(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: Int) throws(USBError) -> [UInt8] {
        try send(setup(requestType, request, value, index, length), [])
    }

    func controlOut(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8]) throws(USBError) {
        _ = try send(setup(requestType, request, value, index, data.count), data)
    }

    private func setup(_ type: UInt8, _ request: UInt8, _ value: UInt16, _ index: UInt16, _ length: Int) -> [UInt8] {
        [type, request, UInt8(value & 0xFF), UInt8(value >> 8), UInt8(index & 0xFF), UInt8(index >> 8), UInt8(length & 0xFF), UInt8(length >> 8)]
    }

    private func send(_ setup: [UInt8], _ data: [UInt8]) throws(USBError) -> [UInt8] {
        switch camera.control(setup: setup, data: data) {
        case .stall: throw USBError(.pipe, "control request 0x\(String(setup[1], radix: 16))")
        case .data(let bytes): return bytes
        }
    }

    func stream(_ plan: USBStreamPlan, until stop: USBStopSignal, payload: (UnsafeRawBufferPointer, Bool) -> Void) throws(USBError) {
        var idle = 0
        while !stop.isRaised {
            if camera.shouldDisconnect() { throw USBError(.noDevice, "streaming (emulated unplug)") }
            if camera.endpointState.stalled { throw USBError(.pipe, "streaming from endpoint 0x81") }
            if camera.endpointState.frozen {
                idle += 1
                if idle > 100 { throw USBError(.timeout, "no video data (the device stalled)") }
                continue
            }
            switch plan.transfer {
            case .isochronous(let size, let count):
                for packet in camera.isochronousPackets(count: count, packetSize: size) where !packet.isEmpty {
                    payloads += 1
                    packet.withUnsafeBytes { payload($0, false) }
                }
            case .bulk(let size):
                guard let data = camera.bulkPayload(length: size) else { continue }
                payloads += 1
                data.withUnsafeBytes { payload($0, false) }
            }
        }
    }
}
