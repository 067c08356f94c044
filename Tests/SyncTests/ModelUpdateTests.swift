import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

@Suite("Model updates from the platform's catalog", .serialized)
struct ModelUpdateTests {
    /// A package made from the demo's model and reference files with another version, signed by
    /// `signer`, packed into `catalog/file`. `prepare` changes files before pinning and signing;
    /// `tamper` changes them after signing.
    static func makePackage(
        version: String, signer: ModelSigningKey, catalog: String, file: String, id: String? = nil,
        prepare: (String) throws -> Void = { _ in }, tamper: (String) throws -> Void = { _ in }
    ) throws {
        let work = TemporaryDirectory("model-package")
        let folder = work.path + "/package"
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder + "/reference", withIntermediateDirectories: true)
        var manifest = try JSONDecoder().decode(
            ModelPackageManifest.self, from: Data(contentsOf: URL(fileURLWithPath: DemoModel.path + "/manifest.json"))
        )
        for pinned in manifest.files {
            try manager.copyItem(atPath: DemoModel.path + "/" + pinned.path, toPath: folder + "/" + pinned.path)
        }
        try prepare(folder)
        manifest.version = version
        if let id { manifest.id = id }
        manifest.files = try manifest.files.map { pinned in
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + pinned.path))
            return .init(path: pinned.path, sha256: SHA256Check.hex([UInt8](data)), size: Int64(data.count))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        try ModelPackageSigner.sign(directory: folder, with: signer)
        try tamper(folder)
        let archive = try ModelPackageArchive.pack(folder: folder, files: ["manifest.json", "manifest.sig"] + manifest.files.map(\.path))
        try archive.write(to: URL(fileURLWithPath: catalog + "/" + file))
    }

    @Test("a good package downloads through cuts and activates; tampered, wrong key, older and failing-reference packages are refused with the reason")
    func updatesFromCatalog() async throws {
        let box = TemporaryDirectory("update-box")
        let hubDirectory = TemporaryDirectory("update-hub")
        let catalog = TemporaryDirectory("update-catalog")
        let publisher = ModelSigningKey()
        let stranger = ModelSigningKey()
        let packages = box.path + "/models"
        let packageSettings = ModelPackageSettings(packagesDirectory: packages, trustedKeys: [ModelPublicKey.demo, publisher.publicKey])
        try await DemoModel.install(into: packages)

        try Self.makePackage(version: "2.1.0", signer: publisher, catalog: catalog.path, file: "a-good_2.1.0.tar")
        try Self.makePackage(version: "2.2.0", signer: stranger, catalog: catalog.path, file: "b-wrong-key_2.2.0.tar")
        try Self.makePackage(version: "2.3.0", signer: publisher, catalog: catalog.path, file: "c-tampered_2.3.0.tar", tamper: { folder in
            var model = try Data(contentsOf: URL(fileURLWithPath: folder + "/model.onnx"))
            model[model.count / 2] ^= 0x40
            try model.write(to: URL(fileURLWithPath: folder + "/model.onnx"))
        })
        try Self.makePackage(version: "1.9.0", signer: publisher, catalog: catalog.path, file: "d-older_1.9.0.tar")
        // Another package id for the same task cannot take the task's version down either.
        try Self.makePackage(version: "1.0.0", signer: publisher, catalog: catalog.path, file: "f-other-id-older_1.0.0.tar", id: "chest-other-model")
        try Self.makePackage(version: "2.4.0", signer: publisher, catalog: catalog.path, file: "e-bad-reference_2.4.0.tar", prepare: { folder in
            let path = folder + "/reference/nodule-findings.npy"
            var tensor = try NumpyFile.readTensor(path)
            tensor.values = tensor.values.map { min(1, $0 + 0.3) }
            try NumpyFile.encode(tensor).write(to: URL(fileURLWithPath: path))
        })

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort, arguments: ["--catalog-dir", catalog.path])
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let files = try FileManager.default.contentsOfDirectory(atPath: catalog.path).sorted()
        try await HubProcess.assignCatalog(files, catalog: catalog.path, to: "box-test-1", dataDirectory: hubDirectory.path)
        // The first connections are cut after 300 kB of the hub's answer: downloads must resume.
        let proxy = try FaultProxy(upstreamPort: hubPort) { $0 < 3 ? .cutReplyAfter(300_000) : .pass }
        defer { proxy.stop() }

        var settings = SyncDeliveryTests.settings(proxyPort: proxy.port, chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        let counters = SyncCounters()
        let client = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        let directory = DataDirectory(path: box.path)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        let service = ModelUpdateService(
            client: client, installer: PackageStoreModelInstaller(packagesDirectory: packages, settings: packageSettings, logger: quietLogger),
            directory: directory, intervalSeconds: 3600, reportTo: store, deviceID: "box-test-1", logger: quietLogger
        )
        var polls = 0
        while RunStateFiles(directory: directory).modelUpdates().count < 6, polls < 12 {
            await service.checkOnce()
            polls += 1
        }
        await client.shutdown()
        let records = Dictionary(uniqueKeysWithValues: RunStateFiles(directory: directory).modelUpdates().values.map { ($0.file, $0) })
        #expect(records.count == 6, "\(records)")
        #expect(proxy.counts.cuts >= 1 && counters.snapshot.resumedDownloads >= 1, "downloads were to be cut and resumed: \(proxy.counts), \(counters.snapshot)")

        #expect(records["a-good_2.1.0.tar"]?.outcome == .activated)
        #expect(records["a-good_2.1.0.tar"]?.package == "chest-phantom-demo@2.1.0")
        let wrongKey = try #require(records["b-wrong-key_2.2.0.tar"])
        #expect(wrongKey.outcome == .refused && (wrongKey.reason ?? "").contains("verification") && (wrongKey.reason ?? "").lowercased().contains("key"), "\(wrongKey)")
        let tampered = try #require(records["c-tampered_2.3.0.tar"])
        #expect(tampered.outcome == .refused && (tampered.reason ?? "").contains("model.onnx"), "\(tampered)")
        let older = try #require(records["d-older_1.9.0.tar"])
        #expect(older.outcome == .refused && (older.reason ?? "").contains("1.9.0 is older than the active chest-phantom-demo@2."), "\(older)")
        let otherID = try #require(records["f-other-id-older_1.0.0.tar"])
        #expect(otherID.outcome == .refused && (otherID.reason ?? "").contains("chest-other-model@1.0.0 is older than the active chest-phantom-demo@2."), "\(otherID)")
        let badReference = try #require(records["e-bad-reference_2.4.0.tar"])
        #expect(badReference.outcome == .refused && (badReference.reason ?? "").contains("reference check") && (badReference.reason ?? "").contains("case nodule"), "\(badReference)")

        // Only the good one is installed and active; the demo is its rollback target.
        let activations = try await ModelPackageStore.withStore(folder: packages, settings: packageSettings, logger: quietLogger) {
            try await $0.activations()
        }
        let record = try #require(activations.first { $0.task == DemoModel.task })
        #expect(record.active.description == "chest-phantom-demo@2.1.0")
        #expect(record.previous?.description == "chest-phantom-demo@2.0.1")
        let installed = try await ModelPackageStore.withStore(folder: packages, settings: packageSettings, logger: quietLogger) {
            try await $0.list().map(\.reference.description)
        }
        #expect(Set(installed) == ["chest-phantom-demo@2.0.1", "chest-phantom-demo@2.1.0"])

        // Every outcome is queued for the platform, once.
        #expect(try store.queuedOutboxKinds(destination: .platform) == ["model-update": 6])

        // A second poll fetches nothing again.
        let client2 = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        let again = ModelUpdateService(
            client: client2, installer: PackageStoreModelInstaller(packagesDirectory: packages, settings: packageSettings, logger: quietLogger),
            directory: directory, intervalSeconds: 3600, logger: quietLogger
        )
        #expect(await again.checkOnce().isEmpty)
        await client2.shutdown()
    }
}
