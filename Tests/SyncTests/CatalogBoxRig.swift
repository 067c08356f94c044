import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

/// A real hub serving a catalog folder and a box (the demo model active, a publisher's key
/// trusted) whose unchanged ModelUpdateService polls it as device `box-test-1`, recorded in the
/// region `region`; for the tests of what the catalog makes the box do.
final class CatalogBoxRig {
    let device = "box-test-1"
    var region: String { "test region of \(device)" }
    let box = TemporaryDirectory("catalog-box")
    let hubDirectory = TemporaryDirectory("catalog-hub")
    let catalog = TemporaryDirectory("catalog-folder")
    let publisher = ModelSigningKey()
    let packages: String
    let packageSettings: ModelPackageSettings
    let hub: HubProcess
    let client: PlatformClient
    let directory: DataDirectory
    let store: StudyStore
    let service: ModelUpdateService
    /// What the service logged (a transient failure's reason is only logged).
    let serviceLog = RecordingLogger()

    /// Starts the hub; `packages` (file name → version) are made from the demo model, signed by
    /// the publisher, into the catalog folder; `assigned` are assigned to the device's region.
    init(packages made: [String: String], assigned: [String] = []) async throws {
        packages = box.path + "/models"
        packageSettings = ModelPackageSettings(packagesDirectory: packages, trustedKeys: [ModelPublicKey.demo, publisher.publicKey])
        try await DemoModel.install(into: packages)
        for (file, version) in made.sorted(by: { $0.key < $1.key }) {
            try ModelUpdateTests.makePackage(version: version, signer: publisher, catalog: catalog.path, file: file)
        }
        let hubPort = HubProcess.freePort()
        hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort, arguments: ["--catalog-dir", catalog.path])
        try hub.start()
        try await hub.waitUntilListening()
        try await HubProcess.assignCatalog(assigned, catalog: catalog.path, to: device, dataDirectory: hubDirectory.path)
        var settings = SyncDeliveryTests.settings(proxyPort: hubPort, chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        // No faults here: a box's own timeouts, not the fault tests' 1.5 s read timeout, which a
        // hub hashing its catalog on a machine busy with the parallel suites can exceed (a poll
        // then makes no record, and the test sees a different order of outcomes).
        settings.connectTimeoutSeconds = 10
        settings.readTimeoutSeconds = 30
        client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        directory = DataDirectory(path: box.path)
        store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        service = ModelUpdateService(
            client: client, installer: PackageStoreModelInstaller(packagesDirectory: packages, settings: packageSettings, logger: quietLogger),
            directory: directory, intervalSeconds: 3600, reportTo: store, deviceID: device, logger: serviceLog.logger
        )
    }

    /// One poll that makes records, as the service's next polls would: a transient failure
    /// (the box under load: a download or an install that did not finish) makes none and is
    /// resumed at the next poll, so up to `polls` polls; the reasons of any retried are printed.
    func settledCheck(polls: Int = 5) async -> [ModelUpdateRecord] {
        for poll in 1...polls {
            let made = await service.checkOnce()
            if !made.isEmpty || poll == polls { return made }
            let retried = serviceLog.entries(at: .warning).map { "\($0.message): \($0.metadata["error"] ?? "")" }
            print("CatalogBoxRig: poll \(poll) made no record; retrying (\(retried.suffix(2)))")
        }
        return []
    }

    /// Stops the hub now and the client's connections soon after (as the tests did before).
    func stop() {
        hub.stop()
        let client = client
        Task { await client.shutdown() }
    }

    /// Runs `fluorobox-hub` on the hub's data folder; its standard output, or the test fails.
    @discardableResult
    func hubCommand(_ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(HubProcess.binary, arguments + ["--data-dir", hubDirectory.path])
        try #require(result.status == 0, "fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    /// The outbox's model-update documents, delivered to the hub through its API as sync would; their keys.
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

    func withPackages<T: Sendable>(_ body: (ModelPackageStore) async throws -> T) async throws -> T {
        try await ModelPackageStore.withStore(folder: packages, settings: packageSettings, logger: quietLogger, body)
    }

    /// The demo task's active package, `id@version`.
    func active() async throws -> String? {
        try await withPackages { try await $0.activations() }.first { $0.task == DemoModel.task }?.active.description
    }
}
