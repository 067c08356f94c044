import Glibc

/// A Unix datagram socket standing in for systemd's $NOTIFY_SOCKET.
public final class DatagramReceiver: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, result == 0 else { throw ReceiverError(code: errno) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeoutMilliseconds` without one.
    public func receive(timeoutMilliseconds: Int32) -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// Collects datagrams until one contains `line` or the time runs out.
    public func waitFor(_ line: String, timeoutMilliseconds: Int32) -> [String] {
        var seen: [String] = []
        var remaining = timeoutMilliseconds
        while remaining > 0 {
            guard let message = receive(timeoutMilliseconds: min(remaining, 200)) else {
                remaining -= 200
                continue
            }
            seen.append(message)
            if message.split(separator: "\n").contains(Substring(line)) { return seen }
        }
        return seen
    }

    public struct ReceiverError: Error { public let code: Int32 }
}
