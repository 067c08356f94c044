import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// Installing, activating and rolling back packages in a packages folder on disk.
@Suite("model package store")
struct StoreTests {
    static let settings = ModelPackageSettings(trustedKeys: [PackageFixture.key.publicKey])

    func withStore<T: Sendable>(_ folder: TemporaryDirectory, settings: ModelPackageSettings = settings, _ body: (ModelPackageStore) async throws -> T) async throws -> T {
        try await ModelPackageStore.withStore(folder: folder.file("models"), settings: settings, logger: quietLogger, body)
    }

    func expectCode(_ code: ModelPackageError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch let error as ModelPackageError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("install, activate, a second version, rollback and rollback again")
    func lifecycle() async throws {
        let folder = TemporaryDirectory("store-life")
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key, version: "1.0.0", model: "one")
        try PackageFixture.write(at: folder.file("v2"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let v1 = PackageReference(id: "test-model", version: "1.0.0")
        let v2 = PackageReference(id: "test-model", version: "2.0.0")
        try await withStore(folder) { store in
            await expectCode(.noActivePackage) { _ = try await store.loadActive(task: "chest-findings") }
            guard case .installed(let installed) = try await store.install(from: folder.file("v1")) else { Issue.record("not installed"); return }
            #expect(installed.directory == folder.file("models/packages/test-model@1.0.0"))
            guard case .alreadyInstalled = try await store.install(from: folder.file("v1")) else { Issue.record("second install is not idempotent"); return }
            _ = try await store.install(from: folder.file("v2"))
            // Installed is not active.
            await expectCode(.noActivePackage) { _ = try await store.loadActive(task: "chest-findings") }

            var record = try await store.activate(v1)
            #expect(record.active == v1 && record.previous == nil)
            await expectCode(.noPreviousPackage) { _ = try await store.rollback(task: "chest-findings") }
            record = try await store.activate(v2)
            #expect(record.active == v2 && record.previous == v1)
            #expect(try await store.loadActive(task: "chest-findings").modelBytes == Data("stand-in ONNX bytes: two".utf8))

            record = try await store.rollback(task: "chest-findings")
            #expect(record.active == v1 && record.previous == v2 && record.change == "rollback")
            #expect(try await store.loadActive(task: "chest-findings").modelBytes == Data("stand-in ONNX bytes: one".utf8))
            record = try await store.rollback(task: "chest-findings")
            #expect(record.active == v2 && record.previous == v1)

            // Activating the active one changes nothing.
            let same = try await store.activate(v2)
            #expect(same == record)

            let listed = try await store.list()
            #expect(listed.map(\.reference) == [v1, v2])
            #expect(listed[1].activeFor == ["chest-findings"] && listed[0].previousFor == ["chest-findings"])
        }
        // The state is on disk: a new store sees it.
        let active = try await withStore(folder) { store in try await store.loadActive(task: "chest-findings").reference }
        #expect(active == v2)
    }

    /// Before, any trusted package became active, whatever it was meant for.
    @Test("a package that states no clinical use is a demonstration: activated only where the demo key is trusted, refused (activate and rollback) elsewhere")
    func demonstrationOnlyOnDemoBuilds() async throws {
        let folder = TemporaryDirectory("store-demonstration")
        try PackageFixture.write(at: folder.file("demo"), key: PackageFixture.key, version: "1.0.0", model: "one") { $0.use = nil }
        try PackageFixture.write(at: folder.file("clinical"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let demo = PackageReference(id: "test-model", version: "1.0.0")
        let clinical = PackageReference(id: "test-model", version: "2.0.0")
        let demoBuild = ModelPackageSettings(trustedKeys: [PackageFixture.key.publicKey], trustsDemoKey: true)
        try await withStore(folder, settings: demoBuild) { store in
            _ = try await store.install(from: folder.file("demo"))
            _ = try await store.install(from: folder.file("clinical"))
            #expect(try await store.activate(demo).active == demo)
            #expect(try await store.activate(clinical).active == clinical)
        }
        // The same folder on a production box: the clinical package stays active and loads; the
        // demonstration one cannot come back, neither by activate nor by rollback.
        try await withStore(folder) { store in
            let before = try await store.loadActive(task: "chest-findings")
            await expectCode(.demonstrationRefused) { _ = try await store.activate(demo) }
            await expectCode(.demonstrationRefused) { _ = try await store.rollback(task: "chest-findings") }
            let after = try await store.loadActive(task: "chest-findings")
            #expect(before.reference == clinical && after.reference == clinical)
        }
    }

    @Test("only pinned files are installed, from a folder or an archive; the source is untouched")
    func installCopiesPinnedFiles() async throws {
        let folder = TemporaryDirectory("store-copy")
        let package = try PackageFixture.write(at: folder.file("src"), key: PackageFixture.key)
        try Data("not pinned".utf8).write(to: URL(fileURLWithPath: folder.file("src/extra.txt")))
        let archive = try ModelPackageArchive.pack(folder: folder.file("src"), files: ["manifest.json", "manifest.sig"] + package.manifest.files.map(\.path))
        try archive.write(to: URL(fileURLWithPath: folder.file("pkg.tar")))
        try await withStore(folder) { store in
            _ = try await store.install(from: folder.file("src"))
        }
        let installed = folder.file("models/packages/test-model@1.0.0")
        #expect(!FileManager.default.fileExists(atPath: installed + "/extra.txt"))
        #expect(FileManager.default.fileExists(atPath: folder.file("src/extra.txt")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("models/staging")).isEmpty)

        let other = TemporaryDirectory("store-archive")
        try await withStore(other) { store in
            guard case .installed(let fromArchive) = try await store.install(from: folder.file("pkg.tar")) else { Issue.record("archive not installed"); return }
            #expect(fromArchive.packageSHA256 == package.packageSHA256)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.file("models/staging")).isEmpty, "the unpacked copy is cleaned up")
    }

    @Test("refused packages are not installed: untrusted, tampered, and a different package under the same version")
    func refusals() async throws {
        let folder = TemporaryDirectory("store-refuse")
        try PackageFixture.write(at: folder.file("untrusted"), key: PackageFixture.otherKey)
        try PackageFixture.write(at: folder.file("tampered"), key: PackageFixture.key)
        try Data("evil".utf8).write(to: URL(fileURLWithPath: folder.file("tampered/model.onnx")))
        try PackageFixture.write(at: folder.file("a"), key: PackageFixture.key, model: "A")
        try PackageFixture.write(at: folder.file("b"), key: PackageFixture.key, model: "B")
        try await withStore(folder) { store in
            await expectCode(.untrustedKey) { _ = try await store.install(from: folder.file("untrusted")) }
            await expectCode(.fileMismatch) { _ = try await store.install(from: folder.file("tampered")) }
            await expectCode(.notAPackage) { _ = try await store.install(from: folder.file("nothing-here")) }
            _ = try await store.install(from: folder.file("a"))
            await expectCode(.conflictingInstall) { _ = try await store.install(from: folder.file("b")) }
            await expectCode(.notInstalled) { _ = try await store.activate(PackageReference(id: "test-model", version: "9")) }
            #expect(try await store.list().count == 1)
        }
    }

    @Test("a package changed on disk after installation never loads, and list says why")
    func tamperedAfterInstall() async throws {
        let folder = TemporaryDirectory("store-tamper")
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key)
        let reference = PackageReference(id: "test-model", version: "1.0.0")
        try await withStore(folder) { store in
            _ = try await store.install(from: folder.file("v1"))
            _ = try await store.activate(reference)
        }
        try Data("swapped weights".utf8).write(to: URL(fileURLWithPath: folder.file("models/packages/test-model@1.0.0/model.onnx")))
        try await withStore(folder) { store in
            await expectCode(.fileMismatch) { _ = try await store.loadActive(task: "chest-findings") }
            await expectCode(.fileMismatch) { _ = try await store.activate(reference) }
            let listed = try await store.list()
            guard case .failure(let error) = listed.first?.verification else { Issue.record("list calls it verified"); return }
            #expect(error.code == .fileMismatch)
            // Installing the good package again repairs it.
            guard case .installed = try await store.install(from: folder.file("v1")) else { Issue.record("not repaired"); return }
            _ = try await store.loadActive(task: "chest-findings")
        }
        // A key no longer trusted: the installed package stops loading too.
        let distrusting = ModelPackageSettings(trustedKeys: [PackageFixture.otherKey.publicKey])
        try await withStore(folder, settings: distrusting) { store in
            await expectCode(.untrustedKey) { _ = try await store.loadActive(task: "chest-findings") }
        }
    }

    @Test("a task pinned by configuration cannot be activated or rolled back, and loads the pinned package")
    func pinned() async throws {
        let folder = TemporaryDirectory("store-pin")
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key, version: "1.0.0", model: "one")
        try PackageFixture.write(at: folder.file("v2"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let v1 = PackageReference(id: "test-model", version: "1.0.0")
        let v2 = PackageReference(id: "test-model", version: "2.0.0")
        try await withStore(folder) { store in
            _ = try await store.install(from: folder.file("v1"))
            _ = try await store.install(from: folder.file("v2"))
            _ = try await store.activate(v2)
        }
        var settings = Self.settings
        settings.pinnedActive = ["chest-findings": v1]
        try await withStore(folder, settings: settings) { store in
            let loaded = try await store.loadActive(task: "chest-findings")
            #expect(loaded.reference == v1)
            await expectCode(.pinnedByConfiguration) { _ = try await store.activate(v2) }
            await expectCode(.pinnedByConfiguration) { _ = try await store.rollback(task: "chest-findings") }
            let listed = try await store.list()
            #expect(listed.first { $0.reference == v1 }?.activeFor == ["chest-findings"])
        }
        #expect(try ModelPackageSettings.parsePins(["chest-findings = test-model@1.0.0"]) == ["chest-findings": v1])
        #expect(throws: ModelPackageError.self) { try ModelPackageSettings.parsePins(["chest-findings"]) }
        #expect(throws: ModelPackageError.self) { try ModelPackageSettings.parsePins(["a=x@1", "a=y@2"]) }
    }

    @Test("package references parse only as safe ID@VERSION")
    func references() throws {
        #expect(try PackageReference(parsing: "chest-phantom-demo@1.0.0") == PackageReference(id: "chest-phantom-demo", version: "1.0.0"))
        for bad in ["", "x", "@1", "x@", "../x@1", "x@1/2", "X Y@1", "a@b@c", "x@.1"] {
            #expect(throws: ModelPackageError.self, "\(bad)") { try PackageReference(parsing: bad) }
        }
    }

    @Test(".npy headers are read for shape and type")
    func numpyHeader() throws {
        let header = try NumpyArrayHeader(parsing: PackageFixture.npy(descr: "<f4", shape: [1, 3, 16, 16]))
        #expect(header.descr == "<f4" && header.shape == [1, 3, 16, 16] && !header.fortranOrder && header.dataOffset % 64 == 0)
        let vector = try NumpyArrayHeader(parsing: PackageFixture.npy(descr: "<u2", shape: [5]))
        #expect(vector.shape == [5] && vector.elementSize == 2)
        #expect(throws: NumpyArrayHeader.ParseError.self) { try NumpyArrayHeader(parsing: Data("PK\u{3}\u{4} not npy".utf8)) }
    }
}
