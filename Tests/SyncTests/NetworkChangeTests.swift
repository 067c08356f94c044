import Foundation
import FluoroboxTestSupport
import POSIXSupport
import StudyStore
@testable import Sync
import SyncFixtures
import Testing

/// Changing addresses needs root and iproute2; the change is a /32 on loopback, removed after.
private let canChangeAddresses = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")

@Suite("Network changes cut the backoff short", .serialized, .enabled(if: canChangeAddresses, "needs root and /usr/sbin/ip to add an address"))
struct NetworkChangeTests {
    static func loopbackAddress(_ verb: String) async throws {
        let result = try await ProcessRunner.run("/usr/sbin/ip", ["address", verb, "127.0.0.77/32", "dev", "lo"])
        #expect(result.status == 0, "ip address \(verb): \(result.stderr)")
    }

    @Test("the NETLINK_ROUTE socket hears an address added to loopback and removed again")
    func routeSocketHearsAddressChanges() async throws {
        let socket = try RouteChangeSocket(timeoutSeconds: 1)
        defer { socket.close() }
        while try socket.waitForChange() {}  // whatever happened before
        try await Self.loopbackAddress("add")
        #expect(try socket.waitForChange())
        try await Self.loopbackAddress("del")
        #expect(try socket.waitForChange())
    }

    @Test("after the link returns, an address change makes the box send at once, long before its backoff (60 s at least) and 120 s probe interval")
    func addressChangeEndsBackoff() async throws {
        let box = TemporaryDirectory("sync-netlink-box")
        let hubDirectory = TemporaryDirectory("sync-netlink-hub")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 1, instanceBytes: 50_000, results: 3, seed: 5)

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let proxy = try FaultProxy(upstreamPort: hubPort) { _ in .pass }
        defer { proxy.stop() }
        proxy.setLinkDown(true)

        var settings = SyncDeliveryTests.settings(proxyPort: proxy.port, chunkBytes: 128 * 1024)
        // The first retry comes 60 to 120 s after the failure, some 56 s after the change at the
        // earliest: far enough from the 20 s bound that a loaded machine's slow delivery is no
        // false failure and a box that ignores the change still fails.
        settings.backoff = BackoffPolicy(initial: 120, maximum: 120)
        settings.probeIntervalSeconds = 120
        let counters = SyncCounters()
        let watcher = try #require(NetworkChangeWatcher.start(logger: quietLogger))
        let client = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        let service = SyncService(
            store: store, destination: PlatformDestination(client: client), settings: settings, counters: counters,
            linkChanges: watcher, logger: quietLogger
        )
        let drain = Task { try await service.run() }
        defer { drain.cancel() }

        // The first send fails on the dead link (after the start-up clock check gives up).
        let failing = Date().addingTimeInterval(30)
        while counters.snapshot.failures == 0, Date() < failing { try await Task.sleep(for: .milliseconds(50)) }
        #expect(counters.snapshot.failures >= 1)
        try await Task.sleep(for: .seconds(1))
        proxy.setLinkDown(false)
        // The link is back, but nothing tells the box: it keeps waiting. Any other change on this
        // machine's network (the kernel announces routes to every listener) wakes it the same way;
        // then linkEvents says so, and that change has done what the test's would.
        try await Task.sleep(for: .seconds(3))
        let beforeChange = counters.snapshot
        #expect(beforeChange.itemsDelivered == 0 || beforeChange.linkEvents > 0, "delivered before any change was seen")

        let deadline = Date().addingTimeInterval(40)
        if beforeChange.itemsDelivered == 0 {
            let changed = Date()
            try await Self.loopbackAddress("add")
            try await Self.loopbackAddress("del")
            var firstDelivery: Date?
            while Date() < deadline {
                if counters.snapshot.itemsDelivered > 0 { firstDelivery = Date(); break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let delay = try #require(firstDelivery, "nothing delivered within 40 s of the address change").timeIntervalSince(changed)
            #expect(delay < 20, "first delivery \(delay) s after the address change")
        }
        #expect(counters.snapshot.linkEvents >= 1)
        while Date() < deadline, try SyncFixture.platformStates(store)["sent", default: 0] < expected.all.count {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try SyncFixture.platformStates(store)["sent", default: 0] == expected.all.count)

        // The service's end ends its watcher: no thread or netlink socket outlives it.
        drain.cancel()
        try await drain.value
        let stopping = Date().addingTimeInterval(10)
        while watcher.isWatching, Date() < stopping { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!watcher.isWatching, "the network change watcher still runs 10 s after its sync service ended")
    }

    @Test("a stopped watcher's thread ends and closes its socket")
    func watcherStops() async throws {
        let watcher = try #require(NetworkChangeWatcher.start(logger: quietLogger))
        #expect(watcher.isWatching)
        watcher.stop()
        let stopping = Date().addingTimeInterval(10)
        while watcher.isWatching, Date() < stopping { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!watcher.isWatching)
    }
}
