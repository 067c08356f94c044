import FluoroboxTestSupport
import Testing
@testable import Appliance

@Suite("systemd notifications")
struct SystemdNotifierTests {
    @Test("state lines arrive as one datagram on NOTIFY_SOCKET")
    func notify() throws {
        let folder = TemporaryDirectory("notify")
        let receiver = try DatagramReceiver(path: folder.file("notify.sock"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.path])
        #expect(notifier.isActive)
        #expect(notifier.notify(["READY=1", "STATUS=serving"]) == nil)
        #expect(receiver.receive(timeoutMilliseconds: 2000) == "READY=1\nSTATUS=serving")
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for the named process")
    func watchdog() {
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10000000"]).watchdogInterval == .seconds(5))
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"], processID: 2).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "7"], processID: 7).watchdogInterval == .seconds(5))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"]).watchdogInterval == nil)
    }

    @Test("outside systemd nothing is sent and nothing fails")
    func inactive() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive)
        #expect(notifier.notify(["READY=1"]) == nil)
    }

    @Test("an unreachable socket is reported, not thrown")
    func unreachable() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify.sock"])
        #expect(notifier.notify(["READY=1"]) != nil)
    }
}
