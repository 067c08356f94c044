import Glibc

/// A NETLINK_ROUTE socket subscribed to the kernel's link, address and route changes: sync
/// learns of a link coming up without polling.
public final class RouteChangeSocket: Sendable {
    let fd: Int32

    // linux/netlink.h and linux/rtnetlink.h values (stable kernel ABI).
    private static let netlinkFamily: Int32 = 16  // AF_NETLINK
    private static let netlinkRoute: Int32 = 0  // NETLINK_ROUTE
    private static let groups: UInt32 = 0x1 | 0x10 | 0x40 | 0x100 | 0x400  // LINK, IPV4_IFADDR, IPV4_ROUTE, IPV6_IFADDR, IPV6_ROUTE

    /// Opens and subscribes; reads block at most `timeoutSeconds` so a watcher can stop.
    public init(timeoutSeconds: Int = 1) throws(SystemCallError) {
        let fd = Glibc.socket(Self.netlinkFamily, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Self.netlinkRoute)
        guard fd >= 0 else { throw SystemCallError(code: errno, call: "socket(AF_NETLINK)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        if setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            let code = errno
            Glibc.close(fd)
            throw SystemCallError(code: code, call: "setsockopt(SO_RCVTIMEO)")
        }
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
        var address = [UInt8](repeating: 0, count: 12)
        address[0] = UInt8(Self.netlinkFamily)
        withUnsafeBytes(of: Self.groups.littleEndian) { bytes in
            for index in 0..<4 { address[8 + index] = bytes[index] }
        }
        let bound = address.withUnsafeBytes { raw in
            Glibc.bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), 12)
        }
        if bound != 0 {
            let code = errno
            Glibc.close(fd)
            throw SystemCallError(code: code, call: "bind(AF_NETLINK)")
        }
        self.fd = fd
    }

    /// Waits for the next change message; false when the wait timed out.
    public func waitForChange() throws(SystemCallError) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return true }
            let code = errno
            if count < 0 && code == EINTR { continue }
            if count < 0 && (code == EAGAIN || code == EWOULDBLOCK) { return false }
            // ENOBUFS: the kernel dropped messages because we were slow; something changed.
            if count < 0 && code == ENOBUFS { return true }
            throw SystemCallError(code: count < 0 ? code : EIO, call: "recv(AF_NETLINK)")
        }
    }

    public func close() {
        Glibc.close(fd)
    }
}
