import FluoroboxTestSupport
import Foundation
import GRDB
import POSIXSupport
import Testing
@testable import StudyStore

@Suite("Start-up recovery")
struct RecoveryTests {
    @Test("a clean store recovers cleanly and says so in the audit log")
    func clean() async throws {
        let fixture = try StoreFixture()
        try await fixture.ingest([1, 2, 3], sopInstanceUID: "1.2.9.1")
        let report = try fixture.store.recover()
        #expect(report.isClean)
        #expect(report.quickCheck == ["ok"])
        #expect(try fixture.count("auditEvent", where: "kind = 'recovery.completed' AND severity = 'info'") == 1)
    }

    @Test("leftovers of interrupted work are cleaned, quarantined, marked or re-queued; nothing is silently deleted")
    func leftovers() async throws {
        let fixture = try StoreFixture()
        let kept = try await fixture.ingest(SyntheticDICOM.randomBytes(4000), sopInstanceUID: "1.2.9.10", analyses: ["quality"])
        let lostBytes = SyntheticDICOM.randomBytes(4000)
        let lost = try await fixture.ingest(lostBytes, sopInstanceUID: "1.2.9.11")
        let damaged = try await fixture.ingest(SyntheticDICOM.randomBytes(4000), sopInstanceUID: "1.2.9.12")
        let evicted = try await fixture.ingest(SyntheticDICOM.randomBytes(4000), sopInstanceUID: "1.2.9.13")
        let directory = fixture.directory

        // A temp file from a write that never finished.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory.temporaryPath + "/123-abc.part"))
        // A blob filed but never committed (crash between rename and commit).
        let orphanBytes = SyntheticDICOM.randomBytes(100)
        let orphanSHA = sha256Hex(orphanBytes)
        try Data(orphanBytes).write(to: URL(fileURLWithPath: directory.absolute(DataDirectory.relativeBlobPath(sha256: orphanSHA))))
        // A stray file with a name the store never makes.
        try Data([0]).write(to: URL(fileURLWithPath: directory.blobsPath + "/ab/notes.txt"))
        // A blob that vanished, one that was cut short, and an eviction cut short before its unlink.
        try Posix.unlink(directory.absolute(DataDirectory.relativeBlobPath(sha256: lost.sha256)))
        truncate(directory.absolute(DataDirectory.relativeBlobPath(sha256: damaged.sha256)), 10)
        try await fixture.store.database.write { db in
            try db.execute(sql: "UPDATE instance SET blobState = 'evicted' WHERE id = ?", arguments: [evicted.instanceID])
            try db.execute(sql: "UPDATE analysis SET status = 'running', startedAt = ? WHERE instanceID = ?", arguments: [Date(), kept.instanceID])
            try db.execute(sql: "UPDATE outboxItem SET state = 'sending' WHERE instanceID = ?", arguments: [kept.instanceID])
        }

        let report = try fixture.store.recover()
        #expect(report.removedTemporaryFiles == 1)
        #expect(try fixture.temporaryFiles().isEmpty)
        #expect(report.quarantinedOrphanBlobs.count == 2)
        let quarantined = try fixture.quarantinedFiles()
        #expect(quarantined.contains { $0.hasSuffix(orphanSHA) })
        #expect(quarantined.contains { $0.hasSuffix("notes.txt") })
        #expect(quarantined.contains { $0.hasSuffix(damaged.sha256) }, "a damaged blob is kept for inspection, not deleted")
        #expect(Set(report.missingBlobs) == [lost.sha256, damaged.sha256])
        #expect(try fixture.count("instance", where: "blobState = 'missing'") == 2)
        #expect(try fixture.count("auditEvent", where: "kind = 'recovery.blob-missing'") == 2)
        #expect(report.finishedEvictions == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.absolute(DataDirectory.relativeBlobPath(sha256: evicted.sha256))))
        #expect(report.requeuedAnalyses == 1 && report.requeuedOutboxItems == 1)
        #expect(try fixture.count("analysis", where: "status = 'pending'") == 1)
        #expect(try fixture.count("outboxItem", where: "state = 'sending'") == 0)
        #expect(try fixture.blobBytes(kept.sha256).count == 4000)
        #expect(try fixture.count("auditEvent", where: "kind = 'recovery.completed' AND severity = 'error'") == 1)

        // Recovery is idempotent: a second pass finds nothing new.
        let again = try fixture.store.recover()
        #expect(again.isClean)

        // A missing blob heals when the same bytes arrive again.
        let healed = try await fixture.ingest(lostBytes, sopInstanceUID: "1.2.9.11")
        #expect(healed.outcome == .duplicate && healed.instanceID == lost.instanceID)
        #expect(try fixture.blobBytes(lost.sha256) == lostBytes)
        #expect(try fixture.count("instance", where: "id = \(lost.instanceID) AND blobState = 'present'") == 1)
    }

    /// Before, recovery waited for the intake lock that every writer held from its first byte:
    /// a slow sender kept recovery (and eviction) waiting for as long as it trickled.
    @Test("recovery leaves a temp file that another intake is still writing, without waiting for it, and that intake still lands")
    func leavesLiveWriter() async throws {
        let fixture = try StoreFixture()
        let writer = try fixture.store.makeBlobWriter()
        try writer.append(SyntheticDICOM.randomBytes(1000))
        let report = try fixture.store.recover()
        #expect(report.temporaryFilesInUse == 1 && report.removedTemporaryFiles == 0, "\(report.summary)")
        #expect(FileManager.default.fileExists(atPath: writer.temporaryPath), "recovery must not remove a temp file that is being written")
        try writer.append(SyntheticDICOM.randomBytes(500))
        let staged = try writer.finish()
        let receipt = try await fixture.store.ingest(.staged(staged), origin: IntakeOrigin(source: .dicomSCP)) { _ in
            InstanceDescription(sopInstanceUID: "1.2.9.20", studyInstanceUID: "1.2.9", uidsGenerated: false, format: .dicom)
        }
        #expect(report.quarantinedOrphanBlobs.isEmpty)
        #expect(try fixture.blobBytes(receipt.sha256).count == 1500)
        // Once its writer is gone, a leftover temp file is removed.
        let abandoned = try fixture.store.makeBlobWriter()
        try abandoned.append(SyntheticDICOM.randomBytes(100))
        let path = abandoned.temporaryPath
        let copy = path + ".copy"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        abandoned.abandon()
        #expect(try fixture.store.recover().removedTemporaryFiles == 1)
        #expect(!FileManager.default.fileExists(atPath: copy))
    }

    @Test("a damaged database file is reported, never taken for a sound one")
    func damagedDatabase() async throws {
        let folder = TemporaryDirectory("damaged")
        let configuration = StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")))
        do {
            let store = try StudyStore.open(configuration, logger: quietLogger)
            for index in 0..<300 {
                _ = try await store.ingest(.bytes(SyntheticDICOM.randomBytes(64)), origin: IntakeOrigin(source: .import)) { _ in
                    InstanceDescription(sopInstanceUID: "1.2.10.\(index)", studyInstanceUID: "1.2.10", uidsGenerated: false, format: .dicom)
                }
            }
            try await store.database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        // Overwrite pages in the middle of the file with garbage, as a failing SD card might.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: configuration.dataDirectory.databasePath))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 8192))
        try handle.close()

        var damageReported = false
        do {
            let store = try StudyStore.open(configuration, logger: quietLogger)
            let report = try store.recover()
            damageReported = report.storeDamaged
        } catch {
            damageReported = error.code == .storeDamaged
        }
        #expect(damageReported)
    }
}
