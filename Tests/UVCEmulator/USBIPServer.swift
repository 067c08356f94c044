import Foundation
import Glibc

/// A user-space USB/IP server (the kernel's Documentation/usb/usbip_protocol.rst) exporting one
/// emulated UVC camera as bus ID `busID`. Linux's vhci-hcd attaches to it with
/// `usbip --tcp-port PORT attach -r HOST -b BUSID`.
///
/// One client at a time. ``unplug()`` closes the connection in the middle of whatever is being
/// sent, as a pulled cable would; the client may attach again.
public final class USBIPServer: @unchecked Sendable {
    public let camera: EmulatedUVCCamera
    public let busID: String
    public private(set) var port: UInt16 = 0
    private let log: @Sendable (String) -> Void
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var connection: Int32 = -1
    private var stopped = false
    public private(set) var imports = 0
    public private(set) var urbs = 0

    static let version: UInt16 = 0x0111
    static let opReqDevlist: UInt16 = 0x8005
    static let opRepDevlist: UInt16 = 0x0005
    static let opReqImport: UInt16 = 0x8003
    static let opRepImport: UInt16 = 0x0003
    static let cmdSubmit: UInt32 = 1
    static let cmdUnlink: UInt32 = 2
    static let retSubmit: UInt32 = 3
    static let retUnlink: UInt32 = 4
    static let econnreset: Int32 = -104
    static let epipe: Int32 = -32

    public init(camera: EmulatedUVCCamera, busID: String = "1-1", log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.camera = camera
        self.busID = busID
        self.log = log
    }

    /// Listens on 127.0.0.1:`port` (0 picks a free port) and serves in a background thread.
    public func start(port requested: UInt16 = 0) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = requested.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            throw ServerError(message: "cannot listen on 127.0.0.1:\(requested): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public func stop() {
        lock.withLock {
            stopped = true
            if connection >= 0 { shutdown(connection, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Drops the current client connection at once (the device disappears).
    public func unplug() {
        lock.withLock {
            if connection >= 0 {
                log("unplugging: closing the USB/IP connection")
                shutdown(connection, Int32(SHUT_RDWR))
            }
        }
    }

    public var isConnected: Bool { lock.withLock { connection >= 0 } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            serve(client)
            close(client)
        }
    }

    private func serve(_ client: Int32) {
        let io = SocketIO(fd: client)
        guard let header = io.read(8) else { return }
        let code = be16(header, 2)
        switch code {
        case Self.opReqDevlist:
            var reply = be16bytes(Self.version) + be16bytes(Self.opRepDevlist) + be32bytes(0) + be32bytes(1)
            reply += exportedDevice() + [0x0E, 0x01, 0x00, 0x00, 0x0E, 0x02, 0x00, 0x00]
            _ = io.write(reply)
            log("device list sent")
        case Self.opReqImport:
            guard let busBytes = io.read(32) else { return }
            let requested = String(decoding: busBytes.prefix { $0 != 0 }, as: UTF8.self)
            guard requested == busID else {
                _ = io.write(be16bytes(Self.version) + be16bytes(Self.opRepImport) + be32bytes(1))
                log("import of unknown bus ID \(requested) refused")
                return
            }
            guard io.write(be16bytes(Self.version) + be16bytes(Self.opRepImport) + be32bytes(0) + exportedDevice()) else { return }
            lock.withLock { connection = client; imports += 1 }
            log("imported by a client (attach \(imports))")
            urbLoop(io)
            lock.withLock { connection = -1 }
            camera.clearDisconnect()
            log("client gone")
        default:
            log("unknown operation 0x\(String(code, radix: 16))")
        }
    }

    /// struct usbip_usb_device: path, busid, busnum, devnum, speed, IDs, classes, counts.
    private func exportedDevice() -> [UInt8] {
        let descriptor = camera.deviceDescriptor
        var path = Array("/sys/devices/emulated/usb1/\(busID)".utf8)
        path += [UInt8](repeating: 0, count: 256 - path.count)
        var bus = Array(busID.utf8)
        bus += [UInt8](repeating: 0, count: 32 - bus.count)
        var output = path + bus + be32bytes(1) + be32bytes(2) + be32bytes(3)  // speed 3: high
        output += be16bytes(camera.profile.vendorID) + be16bytes(camera.profile.productID) + be16bytes(0x0100)
        output += [descriptor[4], descriptor[5], descriptor[6], 1, 1, 2]
        return output
    }

    private struct Submit {
        var seqnum: UInt32
        var direction: UInt32
        var endpoint: UInt32
        var length: Int
        var packets: Int
        var setup: [UInt8]
        var data: [UInt8]
        var isoDescriptors: [(offset: UInt32, length: UInt32)]
    }

    private func urbLoop(_ io: SocketIO) {
        var held: [Submit] = []
        while true {
            if camera.shouldDisconnect() {
                log("the device vanishes mid-frame (injected)")
                return
            }
            let frozen = camera.endpointState.frozen
            if !frozen && !held.isEmpty {
                for submit in held { guard answerStream(submit, io) else { return } }
                held = []
            }
            switch io.poll(milliseconds: 100) {
            case .closed: return
            case .idle: continue
            case .readable: break
            }
            guard let header = io.read(48) else { return }
            let command = be32(header, 0)
            let seqnum = be32(header, 4)
            let direction = be32(header, 12)
            let endpoint = be32(header, 16)
            urbs += 1
            if command == Self.cmdUnlink {
                let target = be32(header, 20)
                var status: Int32 = 0
                if let index = held.firstIndex(where: { $0.seqnum == target }) {
                    held.remove(at: index)
                    status = Self.econnreset
                }
                let reply = be32bytes(Self.retUnlink) + be32bytes(seqnum) + be32bytes(0) + be32bytes(0) + be32bytes(0)
                    + be32bytes(UInt32(bitPattern: status)) + [UInt8](repeating: 0, count: 24)
                guard io.write(reply) else { return }
                continue
            }
            guard command == Self.cmdSubmit else {
                log("unknown USB/IP command \(command)")
                return
            }
            let length = Int(Int32(bitPattern: be32(header, 24)))
            let packetsField = Int32(bitPattern: be32(header, 32))
            let setup = Array(header[40..<48])
            var submit = Submit(seqnum: seqnum, direction: direction, endpoint: endpoint, length: max(0, length),
                                packets: packetsField > 0 ? Int(packetsField) : 0, setup: setup, data: [], isoDescriptors: [])
            if direction == 0 && submit.length > 0 {
                guard let data = io.read(submit.length) else { return }
                submit.data = data
            }
            if submit.packets > 0 {
                guard let raw = io.read(16 * submit.packets) else { return }
                submit.isoDescriptors = (0..<submit.packets).map { (be32(raw, 16 * $0), be32(raw, 16 * $0 + 4)) }
            }
            if endpoint == 0 {
                guard answerControl(submit, io) else { return }
            } else if endpoint == UInt32(UVCDescriptorBuilder.streamingEndpoint & 0x0F) && direction == 1 {
                if frozen {
                    held.append(submit)
                } else {
                    guard answerStream(submit, io) else { return }
                }
            } else {
                // The VideoControl interrupt endpoint never has anything to say.
                held.append(submit)
            }
        }
    }

    private func answerControl(_ submit: Submit, _ io: SocketIO) -> Bool {
        switch camera.control(setup: submit.setup, data: submit.data) {
        case .stall:
            return io.write(retSubmit(submit.seqnum, status: Self.epipe, actual: 0, packets: 0))
        case .data(let bytes):
            if submit.direction == 1 {
                return io.write(retSubmit(submit.seqnum, status: 0, actual: bytes.count, packets: 0) + bytes)
            }
            return io.write(retSubmit(submit.seqnum, status: 0, actual: submit.length, packets: 0))
        }
    }

    private func answerStream(_ submit: Submit, _ io: SocketIO) -> Bool {
        if camera.endpointState.stalled {
            return io.write(retSubmit(submit.seqnum, status: Self.epipe, actual: 0, packets: submit.packets))
                && (submit.packets == 0 || io.write(isoDescriptors(submit, lengths: Array(repeating: 0, count: submit.packets))))
        }
        // Pace the stream: wait for the next frame rather than sending empty packets.
        let wait = camera.secondsUntilData()
        if wait > 0 { usleep(UInt32(min(wait, 0.5) * 1_000_000)) }
        if submit.packets > 0 {
            let size = Int(submit.isoDescriptors.first?.length ?? 0)
            let packets = camera.isochronousPackets(count: submit.packets, packetSize: size)
            let data = packets.flatMap { $0 }
            return io.write(retSubmit(submit.seqnum, status: 0, actual: data.count, packets: submit.packets) + data + isoDescriptors(submit, lengths: packets.map(\.count)))
        }
        let payload = camera.bulkPayload(length: submit.length) ?? []
        return io.write(retSubmit(submit.seqnum, status: 0, actual: payload.count, packets: 0) + payload)
    }

    private func retSubmit(_ seqnum: UInt32, status: Int32, actual: Int, packets: Int) -> [UInt8] {
        be32bytes(Self.retSubmit) + be32bytes(seqnum) + be32bytes(0) + be32bytes(0) + be32bytes(0)
            + be32bytes(UInt32(bitPattern: status)) + be32bytes(UInt32(actual)) + be32bytes(0)
            + be32bytes(UInt32(packets)) + be32bytes(0) + [UInt8](repeating: 0, count: 8)
    }

    private func isoDescriptors(_ submit: Submit, lengths: [Int]) -> [UInt8] {
        var output: [UInt8] = []
        for (index, descriptor) in submit.isoDescriptors.enumerated() {
            output += be32bytes(descriptor.offset) + be32bytes(descriptor.length) + be32bytes(UInt32(lengths[index])) + be32bytes(0)
        }
        return output
    }

    public struct ServerError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}

/// Blocking reads and writes of whole buffers on a socket.
struct SocketIO {
    let fd: Int32

    enum Readiness { case readable, idle, closed }

    func poll(milliseconds: Int32) -> Readiness {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let result = Glibc.poll(&descriptor, 1, milliseconds)
        if result < 0 { return errno == EINTR ? .idle : .closed }
        if result == 0 { return .idle }
        return descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 ? .readable : .idle
    }

    func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return nil
            }
            filled += n
        }
        return buffer
    }

    func write(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return false
            }
            sent += n
        }
        return true
    }
}

func be16(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }
func be32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}
func be16bytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
func be32bytes(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
