import CLibUSB
import Glibc

/// A libusb context, alive only inside ``with(_:)``.
///
/// The capture loop opens a fresh context for each search: libusb re-reads the bus then, so a
/// re-plugged device is found whether or not a udev daemon forwards hot-plug events.
public final class USBContext {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    public static func with<T>(_ body: (USBContext) throws -> T) throws -> T {
        var context: OpaquePointer?
        try USBError.check(libusb_init(&context), "starting libusb")
        guard let context else { throw USBError(.other, "libusb_init returned no context") }
        defer { libusb_exit(context) }
        return try body(USBContext(pointer: context))
    }

    /// Every device on every bus, with descriptors; strings (manufacturer, product, serial) are
    /// read when `readStrings` is set and the device can be opened.
    public func devices(readStrings: Bool = true) throws(USBError) -> [USBDeviceInfo] {
        try withDeviceList { devices in
            devices.map { device in
                var info = USBDeviceInfo(device: device)
                if readStrings { info.readStrings(device: device) }
                return info
            }
        }
    }

    /// Opens the device at `bus`/`address` for the duration of `body`; the handle is closed after.
    public func withOpenDevice<T>(_ info: USBDeviceInfo, _ body: (LibUSBDevice) throws -> T) throws -> T {
        let handle: OpaquePointer = try withDeviceList { devices throws(USBError) in
            guard let device = devices.first(where: { libusb_get_bus_number($0) == info.bus && libusb_get_device_address($0) == info.address }) else {
                throw USBError(.noDevice, "opening \(info.name) at bus \(info.bus) address \(info.address): it is no longer on the bus")
            }
            var handle: OpaquePointer?
            try USBError.check(libusb_open(device, &handle), "opening \(info.name) at bus \(info.bus) address \(info.address)")
            guard let handle else { throw USBError(.other, "libusb_open returned no handle") }
            return handle
        }
        let device = try LibUSBDevice(context: self, handle: handle, info: info)
        defer { device.close() }
        return try body(device)
    }

    private func withDeviceList<T>(_ body: ([OpaquePointer]) throws(USBError) -> T) throws(USBError) -> T {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try USBError.check(libusb_get_device_list(pointer, &list), "listing USB devices")
        defer { libusb_free_device_list(list, 1) }
        var devices: [OpaquePointer] = []
        for index in 0..<count {
            if let device = list?[index] { devices.append(device) }
        }
        return try body(devices)
    }

    /// Handles pending events for up to `milliseconds`.
    func handleEvents(milliseconds: Int, completed: UnsafeMutablePointer<Int32>? = nil) throws(USBError) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        try USBError.check(libusb_handle_events_timeout_completed(pointer, &timeout, completed), "handling USB events")
    }
}
