import Foundation
import Glibc
import Synchronization

/// A TCP proxy on loopback that injects link faults between the box and the hub: connections
/// cut mid-body, reset at once, stalled, slowed, or refused while the "link is down".
///
/// Blocking sockets and one thread per direction: simple, and the traffic is a test's.
final class FaultProxy: Sendable {
    enum Fault: Sendable, Equatable {
        case pass
        /// Forward this many bytes towards the hub, then reset both sides.
        case cutAfter(Int)
        /// Reset the connection as soon as it is accepted.
        case reset
        /// Forward this many bytes, then forward nothing more (the client must time out).
        case stallAfter(Int)
        /// Forward at about this many bytes per second.
        case slow(Int)
        /// Forward this many bytes of the hub's answer towards the box, then reset (a download cut).
        case cutReplyAfter(Int)
    }

    struct Counts: Sendable {
        var connections = 0
        var cuts = 0
        var resets = 0
        var stalls = 0
        var slowed = 0
        var refused = 0
    }

    let port: Int
    let upstreamPort: Int
    private let listener: Int32
    private let plan: @Sendable (Int) -> Fault
    private let state = Mutex(State())
    private let linkDown = Mutex(false)

    private struct State {
        var counts = Counts()
        var open: [Int32] = []
        var stopped = false
    }

    init(upstreamPort: Int, plan: @escaping @Sendable (Int) -> Fault) throws {
        self.upstreamPort = upstreamPort
        self.plan = plan
        (listener, port) = try Self.listenOnLoopback()
        Thread.detachNewThread { [self] in self.acceptLoop() }
    }

    var counts: Counts { state.withLock { $0.counts } }

    /// While down, every connection is reset at once (a van out of coverage).
    func setLinkDown(_ down: Bool) {
        linkDown.withLock { $0 = down }
        if down { killAll() }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        killAll()
    }

    private func killAll() {
        let fds = state.withLock { $0.open }
        for fd in fds { Self.reset(fd) }
    }

    /// A listening socket on a free loopback port.
    static func listenOnLoopback(backlog: Int32 = 64) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// SO_LINGER 0 then shutdown: the peer sees a reset, and blocked reads here wake up.
    static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        var index = 0
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if state.withLock({ $0.stopped }) { close(client); return }
            if linkDown.withLock({ $0 }) {
                state.withLock { $0.counts.refused += 1 }
                Self.reset(client)
                close(client)
                continue
            }
            let fault = plan(index)
            index += 1
            state.withLock {
                $0.counts.connections += 1
                switch fault {
                case .pass: break
                case .cutAfter, .cutReplyAfter: $0.counts.cuts += 1
                case .reset: $0.counts.resets += 1
                case .stallAfter: $0.counts.stalls += 1
                case .slow: $0.counts.slowed += 1
                }
            }
            if fault == .reset {
                Self.reset(client)
                close(client)
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if connected != 0 {
                Self.reset(client)
                close(client)
                close(upstream)
                continue
            }
            state.withLock { $0.open.append(contentsOf: [client, upstream]) }
            let connection = Connection(client: client, upstream: upstream, proxy: self)
            var towardsHub = fault, towardsBox = Fault.pass
            if case .cutReplyAfter(let limit) = fault {
                towardsHub = .pass
                towardsBox = .cutAfter(limit)
            }
            Thread.detachNewThread { [towardsHub] in connection.pump(from: client, to: upstream, fault: towardsHub) }
            Thread.detachNewThread { [towardsBox] in connection.pump(from: upstream, to: client, fault: towardsBox) }
        }
    }

    fileprivate func forget(_ fds: [Int32]) {
        state.withLock { state in state.open.removeAll { fds.contains($0) } }
    }

    /// Both directions of one proxied connection; the last pump to finish closes the sockets.
    final class Connection: Sendable {
        let client: Int32
        let upstream: Int32
        let proxy: FaultProxy
        private let finished = Mutex(0)

        init(client: Int32, upstream: Int32, proxy: FaultProxy) {
            self.client = client
            self.upstream = upstream
            self.proxy = proxy
        }

        func pump(from source: Int32, to target: Int32, fault: Fault) {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var forwarded = 0
            loop: while true {
                let n = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                var count = n
                switch fault {
                case .cutAfter(let limit), .stallAfter(let limit):
                    if forwarded + count >= limit { count = max(0, limit - forwarded) }
                case .pass, .reset, .slow, .cutReplyAfter:
                    break
                }
                if count > 0, !sendAll(target, buffer, count) { break }
                forwarded += count
                if case .slow(let rate) = fault {
                    Thread.sleep(forTimeInterval: Double(count) / Double(rate))
                }
                if count < n {
                    if case .stallAfter = fault {
                        // Hold the connection open, forwarding nothing, until someone gives up.
                        while recv(source, &buffer, buffer.count, 0) > 0 {}
                    }
                    FaultProxy.reset(client)
                    FaultProxy.reset(upstream)
                    break loop
                }
            }
            shutdown(target, Int32(SHUT_WR))
            let done = finished.withLock { value -> Int in
                value += 1
                return value
            }
            if done == 2 {
                proxy.forget([client, upstream])
                close(client)
                close(upstream)
            }
        }

        private func sendAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
            var sent = 0
            while sent < count {
                let n = buffer.withUnsafeBytes { send(fd, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
    }
}
