import POSIXSupport

/// The sd_notify protocol: state lines sent as datagrams to $NOTIFY_SOCKET.
///
/// Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// Half of $WATCHDOG_USEC, when systemd expects watchdog pings from this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String], processID: Int32 = Posix.currentProcessID) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Duration?
        if path != nil, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            // WATCHDOG_PID names the process the watchdog is for; a child must not ping for it.
            let intended = environment["WATCHDOG_PID"].flatMap { Int32($0) }
            if intended == nil || intended == processID {
                interval = .microseconds(microseconds / 2)
            }
        }
        watchdogInterval = interval
    }

    public var isActive: Bool { socketPath != nil }

    /// Sends state lines such as "READY=1" and "STATUS=…"; failures are returned, not thrown,
    /// so a missing socket never stops the agent.
    @discardableResult
    public func notify(_ lines: [String]) -> SystemCallError? {
        guard let socketPath else { return nil }
        do {
            try Posix.sendDatagram(lines.joined(separator: "\n"), toUnixSocket: socketPath)
            return nil
        } catch {
            return error
        }
    }
}
