import Synchronization

/// What the UVC layer needs from a USB device: the device itself through libusb
/// (``LibUSBDevice``) on the box, an emulated camera in tests.
///
/// A channel is used from one thread at a time, inside the `with…` scope that opened it.
public protocol USBDeviceChannel: AnyObject {
    /// The active configuration descriptor with everything that follows it.
    var configurationBytes: [UInt8] { get }
    var speed: USBSpeed { get }
    /// Claims an interface, detaching a kernel driver (uvcvideo) first when one is bound.
    func claimInterface(_ number: UInt8) throws(USBError)
    func releaseInterface(_ number: UInt8)
    func setAlternateSetting(_ alternate: UInt8, interface: UInt8) throws(USBError)
    func clearHalt(endpoint: UInt8) throws(USBError)
    func controlIn(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: Int) throws(USBError) -> [UInt8]
    func controlOut(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, data: [UInt8]) throws(USBError)
    /// Streams from an IN endpoint until `stop` is raised or the device fails. `payload` gets
    /// each isochronous packet or bulk transfer, and whether the bus reported it as failed.
    func stream(_ plan: USBStreamPlan, until stop: USBStopSignal, payload: (UnsafeRawBufferPointer, Bool) -> Void) throws(USBError)
}

/// How to read a streaming endpoint.
public struct USBStreamPlan: Sendable, Hashable {
    public enum Transfer: Sendable, Hashable {
        /// `packetSize` bytes per (micro)frame, `packetsPerTransfer` packets per transfer.
        case isochronous(packetSize: Int, packetsPerTransfer: Int)
        /// One payload of up to `transferSize` bytes per transfer.
        case bulk(transferSize: Int)
    }

    public var endpoint: UInt8
    public var transfer: Transfer
    /// Transfers kept in flight so the device never waits for the host.
    public var transfersInFlight: Int
    /// A transfer that brings nothing for this long ends the stream (a stalled device).
    public var idleTimeoutMilliseconds: UInt32

    public init(endpoint: UInt8, transfer: Transfer, transfersInFlight: Int = 4, idleTimeoutMilliseconds: UInt32 = 5_000) {
        self.endpoint = endpoint
        self.transfer = transfer
        self.transfersInFlight = transfersInFlight
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
    }
}

/// Raised from any thread to end a stream; the streaming thread notices within 100 ms.
public final class USBStopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func raise() { raised.store(true, ordering: .releasing) }

    public var isRaised: Bool { raised.load(ordering: .acquiring) }
}
