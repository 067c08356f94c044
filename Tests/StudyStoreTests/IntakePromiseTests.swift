import FluoroboxTestSupport
import Foundation
import GRDB
import POSIXSupport
import Testing
@testable import StudyStore

@Suite("The durability promise")
struct IntakePromiseTests {
    @Test("a receipt means the blob is filed under its hash and the rows are committed")
    func receiptMeansDurable() async throws {
        let fixture = try StoreFixture(destinations: [.platform, .dicomweb])
        let bytes = SyntheticDICOM.randomBytes(100_000)
        let receipt = try await fixture.ingest(bytes, sopInstanceUID: "1.2.826.0.1.1", studyInstanceUID: "1.2.826.0.1")
        #expect(receipt.outcome == .stored)
        #expect(receipt.sha256 == sha256Hex(bytes))
        #expect(receipt.size == Int64(bytes.count))
        #expect(try fixture.blobBytes(receipt.sha256) == bytes)
        #expect(DataDirectory.relativeBlobPath(sha256: receipt.sha256) == "blobs/\(receipt.sha256.prefix(2))/\(receipt.sha256)")
        // Another connection, like another process, sees everything the receipt promised.
        try await fixture.outsideView().read { db in
            let instance = try #require(try InstanceRecord.filter(InstanceRecord.Columns.sha256 == receipt.sha256).fetchOne(db))
            #expect(instance.blobState == .present && instance.source == .import && instance.sopInstanceUID == "1.2.826.0.1.1")
            let items = try OutboxItemRecord.filter(OutboxItemRecord.Columns.instanceID == instance.id).fetchAll(db)
            #expect(Set(items.map(\.destination)) == [.platform, .dicomweb])
            #expect(items.allSatisfy { $0.state == .queued && $0.priority == .image && $0.kind == .instance })
            #expect(items.allSatisfy { $0.idempotencyKey == "instance:1.2.826.0.1.1:\(receipt.sha256)" })
            #expect(try StudyRecord.filter(StudyRecord.Columns.studyInstanceUID == "1.2.826.0.1").fetchCount(db) == 1)
            #expect(try AuditEventRecord.filter(AuditEventRecord.Columns.kind == "instance.stored").fetchCount(db) == 1)
        }
        #expect(try fixture.temporaryFiles().isEmpty)
    }

    @Test("the same bytes again give the same instance and no new rows")
    func duplicate() async throws {
        let fixture = try StoreFixture()
        let bytes = SyntheticDICOM.randomBytes(5_000)
        let first = try await fixture.ingest(bytes, sopInstanceUID: "1.2.3.100")
        let second = try await fixture.ingest(bytes, sopInstanceUID: "1.2.3.100")
        #expect(second.outcome == .duplicate)
        #expect(second.instanceID == first.instanceID)
        #expect(try fixture.count("instance") == 1)
        #expect(try fixture.count("outboxItem") == 1)
        #expect(try fixture.temporaryFiles().isEmpty)
    }

    @Test("the same UID with different bytes keeps both and records the conflict")
    func uidConflict() async throws {
        let fixture = try StoreFixture()
        let first = try await fixture.ingest([1, 1, 1, 1], sopInstanceUID: "1.2.3.200")
        let second = try await fixture.ingest([2, 2, 2, 2], sopInstanceUID: "1.2.3.200")
        #expect(first.outcome == .stored)
        #expect(second.outcome == .storedWithUIDConflict)
        #expect(first.instanceID != second.instanceID)
        #expect(try fixture.count("instance", where: "sopInstanceUID = '1.2.3.200' AND uidConflict = 1") == 2)
        #expect(try fixture.count("outboxItem") == 2, "each copy has its own idempotency key")
        #expect(try fixture.count("auditEvent", where: "kind = 'instance.uid-conflict'") == 1)
        #expect(try fixture.blobBytes(first.sha256) == [1, 1, 1, 1])
        #expect(try fixture.blobBytes(second.sha256) == [2, 2, 2, 2])
    }

    @Test("content the describe step refuses is dropped (file intake) or quarantined (network)")
    func unreadableContent() async throws {
        struct Unreadable: Error {}
        let fixture = try StoreFixture()
        let origin = IntakeOrigin(source: .dicomSCP, detail: "MODALITY@10.0.0.5")
        await #expect(throws: StoreError.self) {
            try await fixture.store.ingest(.bytes([7, 7, 7]), origin: origin, unreadable: .discard) { _ in throw Unreadable() }
        }
        #expect(try fixture.temporaryFiles().isEmpty)
        #expect(try fixture.quarantinedFiles().isEmpty)

        var kept: String?
        do {
            _ = try await fixture.store.ingest(.bytes([8, 8, 8]), origin: origin, unreadable: .quarantine) { _ in throw Unreadable() }
        } catch let error as StoreError {
            #expect(error.code == .unrecognisedContent)
            kept = error.quarantinedAs
        }
        let path = try #require(kept)
        #expect(path.hasPrefix("quarantine/") && path.hasSuffix(sha256Hex([8, 8, 8])))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: fixture.directory.absolute(path)))) == [8, 8, 8])
        #expect(try fixture.count("instance") == 0)
        #expect(try fixture.count("auditEvent", where: "kind = 'intake.quarantined'") == 1)
        #expect(try fixture.temporaryFiles().isEmpty)
    }

    @Test("analyses asked for at intake are queued in the same transaction")
    func analysesQueued() async throws {
        let fixture = try StoreFixture()
        let receipt = try await fixture.ingest([3, 4], sopInstanceUID: "1.2.3.300", analyses: ["quality", "chest-xray"])
        #expect(try fixture.count("analysis", where: "instanceID = \(receipt.instanceID) AND status = 'pending'") == 2)
    }

    @Test("concurrent intakes, including copies of the same bytes, stay consistent")
    func concurrentIntakes() async throws {
        let fixture = try StoreFixture()
        let shared = SyntheticDICOM.randomBytes(20_000)
        let receipts = try await withThrowingTaskGroup(of: IntakeReceipt.self) { group in
            for index in 0..<24 {
                group.addTask {
                    if index % 3 == 0 {
                        return try await fixture.ingest(shared, sopInstanceUID: "1.2.3.400")
                    }
                    return try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.2.3.4\(index)")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.count == 24)
        #expect(Set(receipts.filter { $0.sopInstanceUID == "1.2.3.400" }.map(\.instanceID)).count == 1)
        #expect(try fixture.count("instance") == 17)
        #expect(try fixture.count("outboxItem") == 17)
        #expect(try fixture.temporaryFiles().isEmpty)
    }

    @Test("two store handles on one folder (two processes) both commit")
    func twoHandles() async throws {
        let fixture = try StoreFixture()
        let other = try StudyStore.open(fixture.store.configuration, logger: quietLogger)
        async let a: Void = {
            for index in 0..<20 { _ = try await fixture.ingest(SyntheticDICOM.randomBytes(2_000), sopInstanceUID: "1.2.5.\(index)") }
        }()
        async let b: Void = {
            for index in 0..<20 {
                _ = try await other.ingest(.bytes(SyntheticDICOM.randomBytes(2_000)), origin: IntakeOrigin(source: .folder)) { _ in
                    InstanceDescription(sopInstanceUID: "1.2.6.\(index)", studyInstanceUID: "1.2.6", uidsGenerated: false, format: .dicom)
                }
            }
        }()
        _ = try await (a, b)
        #expect(try fixture.count("instance") == 40)
    }

    @Test("a file is copied whole; one that changes while read is refused and leaves nothing")
    func sourceChangesMidRead() async throws {
        let fixture = try StoreFixture()
        let source = try fixture.folder.write("growing.bin", SyntheticDICOM.randomBytes(3 << 20))
        let origin = IntakeOrigin(source: .import, detail: source)
        let describe: @Sendable (StagedBlob) throws -> InstanceDescription = { _ in
            InstanceDescription(sopInstanceUID: "1.2.7", studyInstanceUID: "1.2.7.1", uidsGenerated: false, format: .dicom)
        }
        do {
            _ = try await fixture.store.ingest(.file(path: source, chunkObserver: { copied in
                // Another program truncates the file after the first megabyte has been read.
                if copied == 1 << 20 { truncate(source, 1000) }
            }), origin: origin, describe: describe)
            Issue.record("a file that shrank while read was acknowledged")
        } catch let error as StoreError {
            #expect(error.code == .sourceChanged)
            #expect(error.detail.contains(source))
        }
        #expect(try fixture.count("instance") == 0)
        #expect(try fixture.temporaryFiles().isEmpty)

        let whole = try fixture.folder.write("whole.bin", SyntheticDICOM.randomBytes(3 << 20))
        let receipt = try await fixture.store.ingest(.file(path: whole), origin: origin, describe: describe)
        #expect(try fixture.blobBytes(receipt.sha256) == Array(try Data(contentsOf: URL(fileURLWithPath: whole))))
    }

    @Test("missing, empty and non-regular sources get their own clear errors")
    func badSources() async throws {
        let fixture = try StoreFixture()
        let describe: @Sendable (StagedBlob) throws -> InstanceDescription = { _ in
            InstanceDescription(sopInstanceUID: "1.2.8", studyInstanceUID: "1.2.8.1", uidsGenerated: false, format: .dicom)
        }
        let cases: [(String, StoreError.Code)] = [
            (fixture.folder.file("absent.dcm"), .sourceUnreadable),
            (try fixture.folder.write("empty.dcm", []), .sourceEmpty),
            (fixture.folder.path, .sourceNotRegularFile),
        ]
        for (path, code) in cases {
            do {
                _ = try await fixture.store.ingest(.file(path: path), origin: IntakeOrigin(source: .import), describe: describe)
                Issue.record("\(path) was acknowledged")
            } catch let error as StoreError {
                #expect(error.code == code, "\(path): \(error)")
            }
        }
        #expect(try fixture.count("instance") == 0)
        #expect(try fixture.temporaryFiles().isEmpty)
    }
}

@Suite("Sources that disappear")
struct VanishingSourceTests {
    @Test("a file deleted while it is read is still taken whole: the open descriptor keeps its bytes")
    func deletedMidRead() async throws {
        let fixture = try StoreFixture()
        let bytes = SyntheticDICOM.randomBytes(3 << 20)
        let source = try fixture.folder.write("leaving.bin", bytes)
        let receipt = try await fixture.store.ingest(.file(path: source, chunkObserver: { copied in
            if copied == 1 << 20 { unlink(source) }
        }), origin: IntakeOrigin(source: .folder, detail: source)) { _ in
            InstanceDescription(sopInstanceUID: "1.2.11.1", studyInstanceUID: "1.2.11", uidsGenerated: false, format: .dicom)
        }
        #expect(!FileManager.default.fileExists(atPath: source))
        #expect(try fixture.blobBytes(receipt.sha256) == bytes)
    }

    @Test("after a failed commit, a blob that a concurrent intake of the same bytes is about to acknowledge is never unlinked")
    func failedCommitSparesAConcurrentIntake() async throws {
        let fixture = try StoreFixture()
        let bytes = SyntheticDICOM.randomBytes(5000)
        let sha = sha256Hex(bytes)
        let relative = DataDirectory.relativeBlobPath(sha256: sha)
        // Another intake of these bytes has filed its copy and not committed yet: it holds the
        // intake lock shared, as every intake does from staging to commit.
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.directory.absolute(relative)))
        let other = try FileLock(path: fixture.directory.intakeLockPath)
        try other.lock(.shared)
        fixture.store.removeUnreferencedBlob(sha256: sha, relativePath: relative)
        #expect(try fixture.blobBytes(sha) == bytes, "the blob the other intake will acknowledge is gone")
        // With nobody in flight, the unreferenced blob of a failed commit goes.
        other.unlock()
        fixture.store.removeUnreferencedBlob(sha256: sha, relativePath: relative)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.absolute(relative)))
    }
}
