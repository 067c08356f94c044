import Foundation
import FluoroboxTestSupport
import POSIXSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

/// The box's own sync client, unchanged, against a region: two `fluorobox-hub` replicas on
/// one PostgreSQL behind HAProxy, reached through the fault-injecting proxy.
@Suite(
    "Sync to a region of hub replicas on PostgreSQL",
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .enabled(if: HAProxyProcess.binary != nil, Comment(rawValue: HAProxyProcess.unavailableReason ?? "")),
    .serialized
)
struct RegionDeliveryTests {
    @Test("50 results and 10 instances of 1 MB reach two replicas behind HAProxy exactly once, through cuts, 503s and replicas SIGKILLed mid-chunk and after commits")
    func deliversExactlyOnceToReplicas() async throws {
        let box = TemporaryDirectory("region-box")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 10, instanceBytes: 1 << 20, results: 50, seed: 5)

        let postgres = try await PostgresServer.start("region-pg")
        let database = try await postgres.createDatabase("hub")
        let staging = TemporaryDirectory("region-staging")
        // Each replica dies twice on its own (FLUOROBOX_CRASH_AT) and is restarted: once with
        // a chunk fsync'd but not committed, once right after a commit before its answer.
        let plans = [["hub-chunk-staged:4", "hub-after-commit:20"], ["hub-after-commit:15", "hub-chunk-staged:6"]]
        var replicas: [HubProcess] = []
        for plan in plans {
            let folder = TemporaryDirectory("region-replica")
            let replica = HubProcess(
                dataDirectory: folder.path, port: HubProcess.freePort(),
                arguments: ["--database", database, "--staging", staging.path, "--fail-rate", "0.03", "--fault-seed", "\(replicas.count + 3)"],
                crashPlan: plan
            )
            try replica.start()
            try await replica.waitUntilListening()
            replicas.append(replica)
        }
        defer { for replica in replicas { replica.stop() } }
        let balancer = try await HAProxyProcess(backends: replicas.map(\.port))
        let proxy = try FaultProxy(upstreamPort: balancer.port) { index in
            // Every third connection is cut somewhere in its first 2 MB; the rest pass.
            var generator = SeededGenerator(seed: UInt64(index) &* 104_729 &+ 3)
            return index % 3 == 1 ? .cutAfter(Int.random(in: 100_000...2_000_000, using: &generator)) : .pass
        }
        defer { proxy.stop() }

        let chunk = 256 * 1024
        let settings = SyncDeliveryTests.settings(proxyPort: proxy.port, chunkBytes: chunk)
        let counters = SyncCounters()
        let client = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        let service = SyncService(store: store, destination: PlatformDestination(client: client), settings: settings, counters: counters, logger: quietLogger)
        let drain = Task { try await service.run() }
        let states = try await SyncFixture.waitUntilSettled(store, count: expected.all.count, seconds: 300)
        drain.cancel()
        _ = try? await drain.value
        await balancer.stop()

        #expect(states["sent"] == expected.all.count, "outbox states: \(states)")
        #expect(states["rejected", default: 0] == 0)
        // What the region holds, read by the operator's command with the database named by
        // the environment.
        let listed = try await ProcessRunner.run(HubProcess.binary, ["list", "--json"], environment: ["FLUOROBOX_HUB_DATABASE": database])
        #expect(listed.status == 0, "\(listed.stderr)")
        let held = try JSONDecoder().decode([HubListedItem].self, from: Data(listed.stdout.utf8))
        let keys = held.map(\.key)
        #expect(Set(keys).count == keys.count, "duplicates at the hub")
        #expect(Set(keys) == expected.all, "missing: \(expected.all.subtracting(keys).count), unexpected: \(Set(keys).subtracting(expected.all).count)")
        for item in held {
            #expect(item.sha256 == (expected.instances[item.key] ?? expected.results[item.key]), "\(item.key) held with the wrong SHA-256")
            if item.kind == "instance" {
                #expect(try SHA256Hex.string(ofFileAt: staging.path + "/items/" + item.sha256) == item.sha256)
            }
        }
        #expect(try await postgres.sql("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'", database: "hub") == "0")
        let figures = counters.snapshot
        print("sync to a region: \(figures.itemsDelivered) delivered, \(figures.failures) failures, \(figures.resumedUploads) resumes; proxy \(proxy.counts); replica deaths \(replicas.map(\.deaths))")
        #expect(replicas.allSatisfy { $0.deaths >= 1 }, "each replica was to be SIGKILLed: \(replicas.map(\.deaths))")
        #expect(figures.failures > 0)
        for replica in replicas { replica.stop() }
        try await postgres.stop()
    }
}
