import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

/// Shadow assignments of a real hub's catalog on a box's unchanged ModelUpdateService: a shadow
/// entry is installed and designated by the catalog (any version; the active package stays), its
/// report accepted by the hub; withdrawn, its shadow run ends, but a person's designation stays;
/// assigned again it is designated anew; assigned as active it activates; a shadow entry that is
/// the task's active package is refused.
@Suite("Shadow runs assigned by the platform's catalog", .serialized)
struct ModelShadowCatalogTests {
    @Test("a shadow entry is designated by the catalog and never activated; withdrawn it ends (a person's designation stays); re-assigned it runs again; promoted it activates")
    func shadowFromCatalog() async throws {
        let box = TemporaryDirectory("shadow-box")
        let hubDirectory = TemporaryDirectory("shadow-hub")
        let catalog = TemporaryDirectory("shadow-catalog")
        let publisher = ModelSigningKey()
        let packages = box.path + "/models"
        let packageSettings = ModelPackageSettings(packagesDirectory: packages, trustedKeys: [ModelPublicKey.demo, publisher.publicKey])
        try await DemoModel.install(into: packages)
        // Older than the active 2.0.1: a shadow may be any version.
        try ModelUpdateTests.makePackage(version: "1.9.0", signer: publisher, catalog: catalog.path, file: "a-chest_1.9.0.tar")
        try ModelUpdateTests.makePackage(version: "2.2.0", signer: publisher, catalog: catalog.path, file: "b-chest_2.2.0.tar")

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort, arguments: ["--catalog-dir", catalog.path])
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let device = "box-test-1"
        let region = "test region of \(device)"
        try await HubProcess.assignCatalog([], catalog: catalog.path, to: device, dataDirectory: hubDirectory.path)
        func hubCommand(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run(HubProcess.binary, arguments + ["--data-dir", hubDirectory.path])
            try #require(result.status == 0, "fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        func assign(_ file: String, shadow: Bool = true, target: [String]? = nil) async throws {
            try await hubCommand(["model", "assign", file] + (target ?? ["--region", region]) + (shadow ? ["--shadow"] : []) + ["--catalog-dir", catalog.path])
        }
        func unassign(_ file: String, target: [String]? = nil) async throws {
            try await hubCommand(["model", "unassign", file] + (target ?? ["--region", region]))
        }

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
        func active() async throws -> String? {
            try await withPackages { try await $0.activations() }.first { $0.task == DemoModel.task }?.active.description
        }
        /// The task's shadow and who designated it, `-` when none.
        func shadow() async throws -> String {
            try await withPackages { try await $0.shadows() }.first { $0.task == DemoModel.task }.map { "\($0.package) by \($0.designatedBy)" } ?? "-"
        }
        func outcomes(_ records: [ModelUpdateRecord]) -> [String] {
            records.map { "\($0.file) \($0.outcome.rawValue) \($0.code ?? "-") \($0.shadow == true ? "shadow" : "-")" }
        }

        // Assigned as shadow: installed and designated by the catalog though older; nothing activated.
        try await assign("a-chest_1.9.0.tar")
        let first = await service.checkOnce()
        #expect(outcomes(first) == ["a-chest_1.9.0.tar shadowed - shadow"], "\(first)")
        #expect(try await active() == "chest-phantom-demo@2.0.1")
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by catalog")
        let sha = try #require(first.first?.sha256)
        let keys = try await deliverReports()
        #expect(keys.count == 1 && keys[0].hasPrefix("model-update:\(device):\(sha):shadow-"), "\(keys)")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by catalog")

        // Withdrawn: the catalog's shadow run ends and its record goes.
        try await unassign("a-chest_1.9.0.tar")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "-")
        #expect(RunStateFiles(directory: directory).modelUpdates()[ModelUpdateService.shadowKey(sha)] == nil)
        #expect(try await active() == "chest-phantom-demo@2.0.1")

        // A person designates a shadow on the box after the catalog's: withdrawing the catalog's leaves it.
        try await assign("b-chest_2.2.0.tar")
        #expect(outcomes(await service.checkOnce()) == ["b-chest_2.2.0.tar shadowed - shadow"])
        #expect(try await shadow() == "chest-phantom-demo@2.2.0 by catalog")
        _ = try await withPackages { try await $0.designateShadow(PackageReference(id: "chest-phantom-demo", version: "1.9.0")) }
        try await unassign("b-chest_2.2.0.tar")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by command")

        // Assigned again: designated anew (over the person's), reported under a key of its own.
        try await assign("b-chest_2.2.0.tar")
        let again = await service.checkOnce()
        #expect(outcomes(again) == ["b-chest_2.2.0.tar shadowed - shadow"], "\(again)")
        #expect(try await shadow() == "chest-phantom-demo@2.2.0 by catalog")
        #expect(try await deliverReports().count == 2)

        // Calibrated, then assigned as active to the device's institution: the hub offers it as
        // active only, the box activates it, which ends its shadow run.
        let institution = ["--institution", "1.2.643.5.1"]
        try await assign("b-chest_2.2.0.tar", shadow: false, target: institution)
        let promoted = await service.checkOnce()
        #expect(outcomes(promoted) == ["b-chest_2.2.0.tar activated - -"], "\(promoted)")
        #expect(try await active() == "chest-phantom-demo@2.2.0")
        #expect(try await shadow() == "-")

        // Offered as shadow again while it is the active package: refused, nothing changes.
        try await unassign("b-chest_2.2.0.tar", target: institution)
        let refused = await service.checkOnce()
        #expect(outcomes(refused) == ["b-chest_2.2.0.tar refused shadow-is-active shadow"], "\(refused)")
        #expect(try await active() == "chest-phantom-demo@2.2.0")
        #expect(try await shadow() == "-")
        #expect(try await deliverReports().count == 2)
    }
}
