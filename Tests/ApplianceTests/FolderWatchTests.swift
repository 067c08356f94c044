import FluoroboxTestSupport
import Foundation
import POSIXSupport
import StudyStore
import Testing
@testable import Appliance

@Suite("Watched folder")
struct FolderWatchTests {
    struct Setup {
        let folder = TemporaryDirectory("watch")
        let store: StudyStore
        let watcher: FolderWatchService
        var watched: String { folder.file("export") }

        init(afterImport: ApplianceConfiguration.AfterImport = .move, retention: RetentionPolicy = RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0))) throws {
            store = try StudyStore.open(
                StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")), retention: retention), logger: quietLogger
            )
            var settings = ApplianceConfiguration.WatchFolder()
            settings.folder = folder.file("export")
            settings.afterImport = afterImport
            settings.settleSeconds = 2
            try FileManager.default.createDirectory(atPath: folder.file("export"), withIntermediateDirectories: true)
            watcher = FolderWatchService(settings: settings, intake: FileIntake(store: store), gate: ReadinessGate(expecting: []), logger: quietLogger)
        }

        func instances() throws -> Int { try store.listStudies().reduce(0) { $0 + $1.instances.count } }
    }

    /// A moment well after every file's modification time, so files count as settled; taken
    /// anew at each use (a fixed one fell behind files written late in a slow, loaded run).
    static var later: Date { Date().addingTimeInterval(60) }

    @Test("a file is taken only once it has settled across two scans, then moved to imported/")
    func settleThenMove() async throws {
        let setup = try Setup()
        let bytes = try DemoStudy.makePart10(seed: 1, size: 32)
        try setup.folder.write("export/day1/a.dcm", bytes)
        #expect(await setup.watcher.scanOnce(now: Date()) == 0, "first sight: not taken yet")
        #expect(await setup.watcher.scanOnce(now: Date()) == 0, "too fresh: still settling")
        #expect(await setup.watcher.scanOnce(now: Self.later) == 1)
        #expect(try setup.instances() == 1)
        #expect(!FileManager.default.fileExists(atPath: setup.folder.file("export/day1/a.dcm")))
        #expect(FileManager.default.contents(atPath: setup.folder.file("export/imported/day1/a.dcm")) == Data(bytes))
        #expect(await setup.watcher.scanOnce(now: Self.later) == 0, "the imported folder itself is not watched")
    }

    @Test("a file that changes between scans waits; partial-copy names and hidden files are ignored")
    func growingFile() async throws {
        let setup = try Setup()
        let path = try setup.folder.write("export/b.dcm", Array(try DemoStudy.makePart10(seed: 2, size: 32).prefix(200)))
        try setup.folder.write("export/c.dcm.part", try DemoStudy.makePart10(seed: 3, size: 32))
        try setup.folder.write("export/.hidden.dcm", try DemoStudy.makePart10(seed: 4, size: 32))
        #expect(await setup.watcher.scanOnce(now: Self.later) == 0)
        try Data(try DemoStudy.makePart10(seed: 2, size: 32)).write(to: URL(fileURLWithPath: path))
        #expect(await setup.watcher.scanOnce(now: Self.later) == 0, "it changed since the last scan")
        #expect(await setup.watcher.scanOnce(now: Self.later) == 1)
        #expect(try setup.instances() == 1)
    }

    @Test("a file that cannot be read stays where it is and is not retried until it changes")
    func failureStays() async throws {
        let setup = try Setup()
        let path = try setup.folder.write("export/notes.txt", Array("not an image".utf8))
        _ = await setup.watcher.scanOnce(now: Self.later)
        #expect(await setup.watcher.scanOnce(now: Self.later) == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try setup.instances() == 0)
        // Replaced by a real image under the same name: taken.
        try Data(try DemoStudy.makePart10(seed: 5, size: 32)).write(to: URL(fileURLWithPath: path))
        _ = await setup.watcher.scanOnce(now: Self.later)
        #expect(await setup.watcher.scanOnce(now: Self.later) == 1)
    }

    @Test("delete removes the file after the receipt; keep leaves it and takes it once")
    func deleteAndKeep() async throws {
        let deleting = try Setup(afterImport: .delete)
        let a = try deleting.folder.write("export/a.dcm", try DemoStudy.makePart10(seed: 6, size: 32))
        _ = await deleting.watcher.scanOnce(now: Self.later)
        #expect(await deleting.watcher.scanOnce(now: Self.later) == 1)
        #expect(!FileManager.default.fileExists(atPath: a))

        let keeping = try Setup(afterImport: .keep)
        let b = try keeping.folder.write("export/b.dcm", try DemoStudy.makePart10(seed: 7, size: 32))
        _ = await keeping.watcher.scanOnce(now: Self.later)
        #expect(await keeping.watcher.scanOnce(now: Self.later) == 1)
        #expect(await keeping.watcher.scanOnce(now: Self.later) == 0)
        #expect(FileManager.default.fileExists(atPath: b))
        #expect(await keeping.watcher.takenCount == 1)
    }

    @Test("when the store refuses for space the files stay for the next scan")
    func storeFull() async throws {
        let setup = try Setup(retention: RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0), maximumStoreBytes: 1000))
        let path = try setup.folder.write("export/big.dcm", try DemoStudy.makePart10(seed: 8, size: 64))
        _ = await setup.watcher.scanOnce(now: Self.later)
        #expect(await setup.watcher.scanOnce(now: Self.later) == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try setup.instances() == 0)
    }
}
