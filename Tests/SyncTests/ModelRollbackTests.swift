import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

/// A staged rollout rolled back on a real hub: the box's unchanged ModelUpdateService goes back
/// to the package the rollout replaced because the catalog marks it as a roll back, and only
/// then; an ordinary entry still never takes a task down.
@Suite("Model roll back from the platform's catalog", .serialized)
struct ModelRollbackTests {
    @Test("a roll back entry takes the box back to the replaced package over its earlier record, reported as a roll back; an older ordinary entry is refused as not newer")
    func rollsBack() async throws {
        let box = TemporaryDirectory("rollback-box")
        let hubDirectory = TemporaryDirectory("rollback-hub")
        let catalog = TemporaryDirectory("rollback-catalog")
        let publisher = ModelSigningKey()
        let packages = box.path + "/models"
        let packageSettings = ModelPackageSettings(packagesDirectory: packages, trustedKeys: [ModelPublicKey.demo, publisher.publicKey])
        try await DemoModel.install(into: packages)
        try ModelUpdateTests.makePackage(version: "2.1.0", signer: publisher, catalog: catalog.path, file: "a-chest_2.1.0.tar")
        try ModelUpdateTests.makePackage(version: "2.2.0", signer: publisher, catalog: catalog.path, file: "b-chest_2.2.0.tar")
        try ModelUpdateTests.makePackage(version: "1.9.0", signer: publisher, catalog: catalog.path, file: "c-chest_1.9.0.tar")

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort, arguments: ["--catalog-dir", catalog.path])
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let device = "box-test-1"
        let region = "test region of \(device)"
        try await HubProcess.assignCatalog(["a-chest_2.1.0.tar", "b-chest_2.2.0.tar", "c-chest_1.9.0.tar"], catalog: catalog.path, to: device, dataDirectory: hubDirectory.path)
        func hubCommand(_ arguments: [String]) async throws -> String {
            let result = try await ProcessRunner.run(HubProcess.binary, arguments + ["--data-dir", hubDirectory.path])
            try #require(result.status == 0, "fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)")
            return result.stdout
        }
        _ = try await hubCommand(["model", "rollout", "start", "b-chest_2.2.0.tar", "--region", region, "--replaces", "a-chest_2.1.0.tar", "--stages", "100"])

        var settings = SyncDeliveryTests.settings(proxyPort: hubPort, chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        defer { Task { await client.shutdown() } }
        let directory = DataDirectory(path: box.path)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        let service = ModelUpdateService(
            client: client, installer: PackageStoreModelInstaller(packagesDirectory: packages, settings: packageSettings, logger: quietLogger),
            directory: directory, intervalSeconds: 3600, reportTo: store, deviceID: device, logger: quietLogger
        )
        /// The outbox's model-update documents, delivered to the hub as sync would; their keys.
        func deliverReports() async throws -> [String] {
            var keys: [String] = []
            while let claim = try store.claimNextOutboxItem(destination: .platform, kinds: [.modelUpdate]) {
                guard case .document(let body) = claim.payload else { continue }
                let outcome = try await client.putDocument(collection: "model-updates", key: claim.item.idempotencyKey, body: body)
                #expect(outcome == .delivered(fresh: true), "\(outcome)")
                keys.append(claim.item.idempotencyKey)
            }
            return keys
        }
        func active() async throws -> String? {
            let activations = try await ModelPackageStore.withStore(folder: packages, settings: packageSettings, logger: quietLogger) { try await $0.activations() }
            return activations.first { $0.task == DemoModel.task }?.active.description
        }

        // 2.1.0 then 2.2.0 activate; 1.9.0, an ordinary entry, is refused as not newer.
        let first = await service.checkOnce()
        #expect(first.map { "\($0.file) \($0.outcome.rawValue) \($0.code ?? "-")" } == [
            "a-chest_2.1.0.tar activated -", "b-chest_2.2.0.tar activated -", "c-chest_1.9.0.tar refused not-newer",
        ])
        #expect(try await active() == "chest-phantom-demo@2.2.0")
        #expect(try await deliverReports().count == 3)

        // Nothing marked as a roll back yet: a second poll changes nothing.
        #expect(await service.checkOnce().isEmpty)
        _ = try await hubCommand(["model", "rollout", "rollback", "1", "--by", "ops"])

        let back = await service.checkOnce()
        #expect(back.map { "\($0.file) \($0.outcome.rawValue) \($0.rollback == true)" } == ["a-chest_2.1.0.tar activated true"], "\(back)")
        #expect(try await active() == "chest-phantom-demo@2.1.0")
        let keys = try await deliverReports()
        let sha = try #require(back.first?.sha256)
        #expect(keys.count == 1 && keys[0].hasPrefix("model-update:\(device):\(sha):rollback-"), "\(keys)")
        // Done once: the entry stays in the catalog, the box does not install it again.
        #expect(await service.checkOnce().isEmpty)
        #expect(RunStateFiles(directory: directory).modelUpdates()[sha]?.rollback == true)
        let show = try await hubCommand(["model", "rollout", "show", "1"])
        #expect(show.contains("rolled-back"), "\(show)")
    }
}
