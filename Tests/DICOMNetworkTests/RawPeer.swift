import DICOMNetwork
import Foundation
import Glibc
import NIOCore
import POSIXSupport

/// A bare TCP client for saying things a well-behaved SCU never would (half messages, hostile
/// lengths, silence), and for watching what the listener answers. Reads wait in poll(2) off the
/// cooperative thread pool: a test blocking one of its two threads could starve the listener
/// it is waiting for.
final class RawPeer: @unchecked Sendable {
    private let fd: Int32

    /// Connects from `source`, an address on the loopback interface: all of 127.0.0.0/8 reaches
    /// the listener, so tests can be several peers.
    init(port: Int, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw PeerError(detail: "bind to \(source) failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else { throw PeerError(detail: "connect failed: errno \(errno)") }
    }

    deinit { close(fd) }

    /// Ends the connection (FIN both ways) as a peer that goes away would; the descriptor is
    /// closed with the peer.
    func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw PeerError(detail: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Everything received until the listener closes the connection or `timeout` passes;
    /// `closed` says which.
    func readUntilClosed(timeout: Double) async -> (bytes: [UInt8], closed: Bool) {
        (try? await BlockingIO.run { self.blockingReadUntilClosed(timeout: timeout) }) ?? ([], false)
    }

    private func blockingReadUntilClosed(timeout: Double) -> (bytes: [UInt8], closed: Bool) {
        var output: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if remaining == 0 { return (output, false) }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, remaining) == 1 else { return (output, false) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (output, true) }
            output += buffer[0..<n]
        }
    }

    /// Reads at least `count` bytes (or until close/timeout).
    func read(atLeast count: Int, timeout: Double) async -> [UInt8] {
        (try? await BlockingIO.run { self.blockingRead(atLeast: count, timeout: timeout) }) ?? []
    }

    private func blockingRead(atLeast count: Int, timeout: Double) -> [UInt8] {
        var output: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while output.count < count {
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if remaining == 0 { break }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, remaining) == 1 else { break }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        return output
    }

    struct PeerError: Error { let detail: String }
}

extension RawPeer {
    /// Sends an A-ASSOCIATE-RQ and returns the whole answer PDU (or what arrived of it).
    func associate(_ contexts: [ProposedPresentationContext], calling: String = "RAW") async throws -> [UInt8] {
        let request = AssociateRequest(
            calledAETitle: ListenerFixture.aeTitle, callingAETitle: calling, presentationContexts: contexts,
            userInformation: UserInformation(maximumLength: 16_384, implementationClassUID: "1.2.3")
        )
        try send(Array(buffer: PDU.associateRequest(request).encoded()))
        return await readPDU()
    }

    /// One whole PDU from the listener (or what arrived of it before close or timeout).
    func readPDU(timeout: Double = 5) async -> [UInt8] {
        let header = await read(atLeast: 6, timeout: timeout)
        guard header.count >= 6 else { return header }
        let length = Int(header[2]) << 24 | Int(header[3]) << 16 | Int(header[4]) << 8 | Int(header[5])
        guard header.count < length + 6 else { return header }
        return await header + read(atLeast: length + 6 - header.count, timeout: timeout)
    }

    /// The DIMSE response in the next P-DATA-TF (one PDV holding the whole command, as the box sends it).
    func readResponse(timeout: Double = 5) async throws -> DIMSECommand {
        var buffer = ByteBuffer(bytes: await readPDU(timeout: timeout))
        guard case .data(let values)? = try PDUParser.parse(&buffer, limits: PDULimits(maximumDataPDULength: 1 << 20)),
              let value = values.first, value.isCommand, value.isLastFragment else {
            throw PeerError(detail: "no DIMSE response")
        }
        return try DIMSECommand(decoding: value.data)
    }

    static func dataPDU(contextID: UInt8, command: Bool, last: Bool, _ bytes: [UInt8]) -> [UInt8] {
        Array(buffer: PDU.data([PresentationDataValue(contextID: contextID, isCommand: command, isLastFragment: last, data: ByteBuffer(bytes: bytes))]).encoded())
    }
}
