import FluoroboxTestSupport
import Foundation
@testable import Appliance
import PlatformHub
import StudyStore
import Sync
import SyncFixtures
import Synchronization
import Testing

/// The box's heartbeat against a real `fluorobox-hub serve` over mutual TLS: a real store holding
/// a backlog, the demo model package installed and active in the agent's packages folder.
@Suite("Heartbeats from the box", .serialized)
struct HeartbeatSyncTests {
    static func heartbeats(hubDirectory: String) async throws -> [HubHeartbeat] {
        let result = try await ProcessRunner.run(HubProcess.binary, ["device", "show", "box-test-1", "--data-dir", hubDirectory, "--json"])
        guard result.status == 0 else { throw TestFailure("device show: \(result.stderr)") }
        return try DeviceHeartbeat.decoder.decode([HubHeartbeat].self, from: Data(result.stdout.utf8))
    }

    @Test("the hub's stored heartbeat carries the box's backlog per destination, its active models, agent version and clock skew; a delivered item leaves the next one's backlog")
    func heartbeatCarriesBacklogAndModels() async throws {
        let box = TemporaryDirectory("heartbeat-box")
        let folder = TemporaryDirectory("heartbeat-hub")
        let pki = try await MutualTLSTests.makePKI(folder)
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub")
        defer { hub.stop() }
        var configuration = ApplianceConfiguration()
        configuration.dataDirectory = box.path
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 3, instanceBytes: 150_000, results: 4)
        try await DemoModel.install(into: configuration.modelPackagesDirectory)
        let agentConfiguration = configuration

        let readings = Mutex<[PlatformClockReading]>([])
        let client = try MutualTLSTests.client(port: port, pki: pki, device: "device")
        let service = HeartbeatService(
            client: client, store: store, intervalSeconds: 300,
            agentVersion: Agent.version,
            models: { await Agent.heartbeatModels(configuration: agentConfiguration, logger: quietLogger) },
            onPlatformTime: { reading in readings.withLock { $0.append(reading) } }, logger: quietLogger
        )
        #expect(await service.beat())
        let first = try #require(try await Self.heartbeats(hubDirectory: folder.file("hub-hub")).first).heartbeat
        let platform = try #require(first.backlog.first { $0.destination == "platform" }, "\(first.backlog)")
        #expect(platform.count == expected.all.count)
        #expect(platform.bytes == expected.instanceBytes + expected.resultBytes)
        #expect((platform.oldestAgeSeconds ?? -1) >= 0)
        #expect(first.models == [DeviceHeartbeat.Model(task: DemoModel.task, id: "chest-phantom-demo", version: "2.0.1", use: "demonstration")])
        #expect(first.agentVersion == Agent.version)
        // Hello measured the skew before the first heartbeat; both replies fed the clock check.
        #expect(abs(try #require(first.clockSkewSeconds)) < 5)
        #expect(readings.withLock { $0.count } == 2)
        #expect(first.freeDiskBytes > 0)

        // One instance delivered: the next heartbeat's backlog is one item and its bytes smaller.
        let claim = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: [.instance]))
        try store.markOutboxItemSent(id: claim.item.id!)
        #expect(await service.beat())
        let kept = try await Self.heartbeats(hubDirectory: folder.file("hub-hub"))
        #expect(kept.count == 2)
        let second = try #require(kept.first?.heartbeat.backlog.first { $0.destination == "platform" })
        #expect(second.count == expected.all.count - 1 && second.bytes == platform.bytes - 150_000, "\(second)")
        #expect(service.figures.sent == 2 && service.figures.failed == 0)
        await client.shutdown()
    }

    @Test("a hub that cannot be reached costs a logged, counted failure, reported in the next heartbeat that gets through")
    func failureIsCountedAndReported() async throws {
        let box = TemporaryDirectory("heartbeat-box-down")
        let folder = TemporaryDirectory("heartbeat-hub-down")
        let pki = try await MutualTLSTests.makePKI(folder)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        let port = HubProcess.freePort()
        let client = try MutualTLSTests.client(port: port, pki: pki, device: "device")
        let service = HeartbeatService(
            client: client, store: store, intervalSeconds: 300,
            agentVersion: Agent.version, models: { [] }, logger: quietLogger
        )
        #expect(await service.beat() == false)
        #expect(service.figures.failed == 1 && service.figures.consecutiveFailures == 1)
        let hub = HubProcess(
            dataDirectory: folder.file("hub-late"), port: port,
            arguments: ["--tls-cert", "\(pki)/hub.pem", "--tls-key", "\(pki)/hub.key", "--tls-client-ca", "\(pki)/ca.pem"]
        )
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        #expect(await service.beat())
        let beat = try #require(try await Self.heartbeats(hubDirectory: folder.file("hub-late")).first).heartbeat
        #expect(beat.errors.contains { $0.source == HeartbeatService.name && $0.message.contains("cannot be reached") }, "\(beat.errors)")
        #expect(service.figures.consecutiveFailures == 0)
        await client.shutdown()
    }
}
