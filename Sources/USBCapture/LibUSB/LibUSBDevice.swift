import CLibUSB
import Glibc

/// An open libusb device handle: the channel the UVC layer uses on the box. Created and closed
/// by ``USBContext/withOpenDevice(_:_:)``; interfaces it claimed are released, and kernel drivers
/// it detached re-attached, when it closes.
public final class LibUSBDevice: USBDeviceChannel {
    let context: USBContext
    let handle: OpaquePointer
    public let info: USBDeviceInfo
    public let configurationBytes: [UInt8]
    private var claimed: [UInt8] = []
    private var detached: [UInt8] = []
    /// Control requests wait this long for the device.
    public var controlTimeoutMilliseconds: UInt32 = 1_000

    init(context: USBContext, handle: OpaquePointer, info: USBDeviceInfo) throws(USBError) {
        self.context = context
        self.handle = handle
        self.info = info
        configurationBytes = info.configurationBytes
    }

    public var speed: USBSpeed { info.speed }

    func close() {
        for interface in claimed.reversed() { libusb_release_interface(handle, Int32(interface)) }
        for interface in detached { libusb_attach_kernel_driver(handle, Int32(interface)) }
        libusb_close(handle)
    }

    public func claimInterface(_ number: UInt8) throws(USBError) {
        if libusb_kernel_driver_active(handle, Int32(number)) == 1 {
            try USBError.check(libusb_detach_kernel_driver(handle, Int32(number)), "detaching the kernel driver from interface \(number) of \(info.name)")
            detached.append(number)
        }
        try USBError.check(libusb_claim_interface(handle, Int32(number)), "claiming interface \(number) of \(info.name)")
        claimed.append(number)
    }

    public func releaseInterface(_ number: UInt8) {
        guard let index = claimed.firstIndex(of: number) else { return }
        libusb_release_interface(handle, Int32(number))
        claimed.remove(at: index)
    }

    public func setAlternateSetting(_ alternate: UInt8, interface: UInt8) throws(USBError) {
        // libusb 1.0.26 (Debian 12), bug #1199: on a device its hot-plug thread already saw
        // leave, this call unlocks a mutex it never locked, and libusb_close then aborts the
        // process. The kernel removes the device node before it announces the removal, so a
        // missing node means the call must not be made.
        let node = "/dev/bus/usb/" + Self.threeDigits(info.bus) + "/" + Self.threeDigits(info.address)
        guard access(node, F_OK) == 0 else {
            throw USBError(.noDevice, "selecting alternate setting \(alternate) of interface \(interface): \(info.name) has left the bus (\(node) is gone)")
        }
        try USBError.check(libusb_set_interface_alt_setting(handle, Int32(interface), Int32(alternate)), "selecting alternate setting \(alternate) of interface \(interface)")
    }

    private static func threeDigits(_ value: UInt8) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    public func clearHalt(endpoint: UInt8) throws(USBError) {
        try USBError.check(libusb_clear_halt(handle, endpoint), "clearing the halt of endpoint 0x\(String(endpoint, radix: 16))")
    }

    public func controlIn(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: Int) throws(USBError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: length)
        let count = try USBError.check(
            libusb_control_transfer(handle, requestType, request, value, index, &buffer, UInt16(length), controlTimeoutMilliseconds),
            "control request 0x\(String(request, radix: 16)) (value 0x\(String(value, radix: 16)), index \(index))"
        )
        return Array(buffer.prefix(Int(count)))
    }

    public func controlOut(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8]) throws(USBError) {
        var buffer = data
        try USBError.check(
            libusb_control_transfer(handle, requestType, request, value, index, &buffer, UInt16(buffer.count), controlTimeoutMilliseconds),
            "control request 0x\(String(request, radix: 16)) (value 0x\(String(value, radix: 16)), index \(index))"
        )
    }

    public func stream(_ plan: USBStreamPlan, until stop: USBStopSignal, payload: (UnsafeRawBufferPointer, Bool) -> Void) throws(USBError) {
        try withoutActuallyEscaping(payload) { payload throws(USBError) in
            let loop = TransferLoop(device: self, plan: plan, payload: payload)
            try loop.run(until: stop)
        }
    }
}

/// Keeps `transfersInFlight` asynchronous transfers submitted, hands their payloads on in the
/// event thread, and tears everything down on stop or failure.
private final class TransferLoop {
    let device: LibUSBDevice
    let plan: USBStreamPlan
    let payload: (UnsafeRawBufferPointer, Bool) -> Void
    var transfers: [UnsafeMutablePointer<libusb_transfer>] = []
    var buffers: [UnsafeMutableRawPointer] = []
    var pending = 0
    var stopping = false
    var failure: USBError?
    var consecutiveErrors = 0
    var lastDataAt = Glibc.time(nil)

    init(device: LibUSBDevice, plan: USBStreamPlan, payload: @escaping (UnsafeRawBufferPointer, Bool) -> Void) {
        self.device = device
        self.plan = plan
        self.payload = payload
    }

    func run(until stop: USBStopSignal) throws(USBError) {
        let (packets, length): (Int32, Int) = switch plan.transfer {
        case .isochronous(let size, let count): (Int32(count), size * count)
        case .bulk(let size): (0, size)
        }
        let callback: libusb_transfer_cb_fn = { transfer in
            guard let transfer, let user = transfer.pointee.user_data else { return }
            Unmanaged<TransferLoop>.fromOpaque(user).takeUnretainedValue().completed(transfer)
        }
        let unmanaged = Unmanaged.passRetained(self)
        defer {
            for transfer in transfers { libusb_free_transfer(transfer) }
            for buffer in buffers { buffer.deallocate() }
            unmanaged.release()
        }
        for _ in 0..<max(1, plan.transfersInFlight) {
            guard let transfer = libusb_alloc_transfer(packets) else { throw USBError(.noMemory, "allocating a USB transfer") }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 16)
            transfers.append(transfer)
            buffers.append(buffer)
            transfer.pointee.dev_handle = device.handle
            transfer.pointee.endpoint = plan.endpoint
            transfer.pointee.buffer = buffer.assumingMemoryBound(to: UInt8.self)
            transfer.pointee.length = Int32(length)
            transfer.pointee.user_data = unmanaged.toOpaque()
            transfer.pointee.callback = callback
            transfer.pointee.timeout = 0
            switch plan.transfer {
            case .isochronous(let size, let count):
                transfer.pointee.type = UInt8(LIBUSB_TRANSFER_TYPE_ISOCHRONOUS.rawValue)
                transfer.pointee.num_iso_packets = Int32(count)
                for index in 0..<count { fb_libusb_iso_packet(transfer, Int32(index)).pointee.length = UInt32(size) }
            case .bulk:
                transfer.pointee.type = UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue)
            }
        }
        for transfer in transfers {
            let status = libusb_submit_transfer(transfer)
            if status != 0 {
                failure = USBError(libusb: status, "starting the stream from endpoint 0x\(String(plan.endpoint, radix: 16))")
                break
            }
            pending += 1
        }
        lastDataAt = Glibc.time(nil)
        while failure == nil && !stop.isRaised {
            do {
                try device.context.handleEvents(milliseconds: 100)
            } catch {
                if error.code != .interrupted { failure = error }
            }
            if failure == nil, Glibc.time(nil) - lastDataAt > Int(plan.idleTimeoutMilliseconds / 1000) {
                failure = USBError(.timeout, "no video data from endpoint 0x\(String(plan.endpoint, radix: 16)) for \(plan.idleTimeoutMilliseconds / 1000) s (the device stalled)")
            }
        }
        stopping = true
        for transfer in transfers { libusb_cancel_transfer(transfer) }
        var rounds = 0
        while pending > 0 && rounds < 50 {
            try? device.context.handleEvents(milliseconds: 100)
            rounds += 1
        }
        if let failure { throw failure }
    }

    func completed(_ transfer: UnsafeMutablePointer<libusb_transfer>) {
        pending -= 1
        let status = transfer.pointee.status
        switch status {
        case LIBUSB_TRANSFER_COMPLETED:
            consecutiveErrors = 0
            deliver(transfer)
        case LIBUSB_TRANSFER_CANCELLED:
            return
        case LIBUSB_TRANSFER_NO_DEVICE, LIBUSB_TRANSFER_STALL:
            if failure == nil && !stopping {
                failure = USBError(transferStatus: status, "streaming from endpoint 0x\(String(plan.endpoint, radix: 16))")
            }
            return
        default:
            consecutiveErrors += 1
            payload(UnsafeRawBufferPointer(start: nil, count: 0), true)
            if consecutiveErrors > 20 && failure == nil {
                failure = USBError(transferStatus: status, "streaming from endpoint 0x\(String(plan.endpoint, radix: 16)): 20 transfers failed in a row")
                return
            }
        }
        guard !stopping, failure == nil else { return }
        let result = libusb_submit_transfer(transfer)
        if result == 0 {
            pending += 1
        } else if failure == nil {
            failure = USBError(libusb: result, "resubmitting a transfer on endpoint 0x\(String(plan.endpoint, radix: 16))")
        }
    }

    private func deliver(_ transfer: UnsafeMutablePointer<libusb_transfer>) {
        guard let buffer = transfer.pointee.buffer else { return }
        switch plan.transfer {
        case .isochronous(let size, let count):
            for index in 0..<count {
                let packet = fb_libusb_iso_packet(transfer, Int32(index)).pointee
                let start = buffer + index * size
                let failed = packet.status != LIBUSB_TRANSFER_COMPLETED
                let length = failed ? 0 : Int(min(packet.actual_length, UInt32(size)))
                if length > 0 { lastDataAt = Glibc.time(nil) }
                if failed || length > 0 {
                    payload(UnsafeRawBufferPointer(start: start, count: length), failed)
                }
            }
        case .bulk:
            let length = Int(transfer.pointee.actual_length)
            if length > 0 {
                lastDataAt = Glibc.time(nil)
                payload(UnsafeRawBufferPointer(start: buffer, count: length), false)
            }
        }
    }
}
