import FluoroboxTestSupport
import Foundation
import GRDB
import POSIXSupport
import Testing
@testable import StudyStore

@Suite("Retention")
struct RetentionTests {
    /// A cap of 100 kB on blob bytes; free-space limits off so the cap alone decides.
    static let capped = RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0), maximumStoreBytes: 100_000)

    @Test("thresholds parse from configuration text")
    func parsing() {
        #expect(StorageThreshold(parsing: "10%") == .percent(10))
        #expect(StorageThreshold(parsing: "2GB") == .bytes(2 << 30))
        #expect(StorageThreshold(parsing: "512 MiB") == .bytes(512 << 20))
        #expect(StorageThreshold(parsing: "1048576") == .bytes(1_048_576))
        #expect(StorageThreshold(parsing: "ten") == nil)
        #expect(StorageThreshold(parsing: "150%") == nil)
        #expect(StorageThreshold.percent(10).bytes(ofTotal: 1000) == 100)
    }

    @Test("at the hard limit intake is refused with a typed error, and unsynced blobs stay")
    func hardLimitRefuses() async throws {
        let fixture = try StoreFixture(retention: Self.capped)
        var receipts: [IntakeReceipt] = []
        for index in 0..<5 {
            receipts.append(try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.1.\(index)"))
        }
        do {
            try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.1.99")
            Issue.record("intake past the cap was acknowledged")
        } catch let error as StoreError {
            #expect(error.isInsufficientStorage)
            #expect(error.detail.contains("not yet synced"))
        }
        for receipt in receipts {
            #expect(try fixture.blobBytes(receipt.sha256).count == 20_000, "unsynced data is never evicted")
        }
        // Bytes the full store already holds are still acknowledged (a sender's retry).
        let first = try fixture.blobBytes(receipts[0].sha256)
        let retry = try await fixture.ingest(first, sopInstanceUID: "1.3.1.0")
        #expect(retry.outcome == .duplicate && retry.instanceID == receipts[0].instanceID)
        #expect(try fixture.store.storageReport().level == .hard)
        #expect(try fixture.count("auditEvent", where: "kind = 'retention.level'") == 1)
        #expect(try fixture.temporaryFiles().isEmpty)
    }

    @Test("synced blobs are evicted oldest first to make room, and only those")
    func evictsSyncedOldestFirst() async throws {
        let fixture = try StoreFixture(retention: Self.capped)
        var receipts: [IntakeReceipt] = []
        for index in 0..<5 {
            receipts.append(try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.2.\(index)"))
        }
        // The oldest, the second and the fourth were delivered; the second still waits for an analysis.
        for index in [0, 1, 3] { try await fixture.markSent(instanceID: receipts[index].instanceID) }
        let waiting = receipts[1].instanceID
        let ids = receipts.map(\.instanceID)
        try await fixture.store.database.write { db in
            var analysis = AnalysisRecord(
                id: nil, instanceID: waiting, task: "quality", modelID: nil, modelVersion: nil,
                status: .pending, attempts: 0, queuedAt: Date(), startedAt: nil, finishedAt: nil, error: nil
            )
            try analysis.insert(db)
        }
        // A pending analysis does not keep a synced blob (issue 15): all three count, and the
        // one waiting for its analysis goes last.
        let report = try fixture.store.storageReport()
        #expect(report.evictableBytes == 60_000)

        let incoming = try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.2.99")
        #expect(incoming.outcome == .stored)
        let states = try await fixture.store.database.read { db in
            try ids.map { id in try String.fetchOne(db, sql: "SELECT blobState FROM instance WHERE id = ?", arguments: [id]) ?? "" }
        }
        // Room to the soft level (90 kB) for 20 kB more needs 30 kB: both synced blobs go, oldest first.
        #expect(states == ["evicted", "present", "present", "evicted", "present"])
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.absolute(DataDirectory.relativeBlobPath(sha256: receipts[0].sha256))))
        #expect(try fixture.blobBytes(receipts[1].sha256).count == 20_000)
        #expect(try fixture.count("auditEvent", where: "kind = 'retention.evicted'") == 1)
    }

    @Test("a task with no active model does not keep synced blobs from eviction; a running analysis does")
    func pendingAnalysisDoesNotBlockEviction() async throws {
        let fixture = try StoreFixture(retention: Self.capped)
        var receipts: [IntakeReceipt] = []
        for index in 0..<5 {
            receipts.append(try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.7.\(index)"))
        }
        // Every image is synced but waits for an analysis no model will run; the newest is being read.
        for (index, receipt) in receipts.enumerated() {
            try await fixture.markSent(instanceID: receipt.instanceID)
            let status: AnalysisStatus = index == 4 ? .running : .pending
            try await fixture.store.database.write { db in
                var analysis = AnalysisRecord(
                    id: nil, instanceID: receipt.instanceID, task: "chest-findings", modelID: nil, modelVersion: nil,
                    status: status, attempts: 0, queuedAt: Date(), startedAt: nil, finishedAt: nil, error: nil
                )
                try analysis.insert(db)
            }
        }
        #expect(try fixture.store.storageReport().evictableBytes == 80_000)
        let incoming = try await fixture.ingest(SyntheticDICOM.randomBytes(20_000), sopInstanceUID: "1.3.7.99")
        #expect(incoming.outcome == .stored)
        let ids = receipts.map(\.instanceID)
        let states = try await fixture.store.database.read { db in
            try ids.map { id in try String.fetchOne(db, sql: "SELECT blobState FROM instance WHERE id = ?", arguments: [id]) ?? "" }
        }
        // Room to the soft level (90 kB) for 20 kB more needs 30 kB: the two oldest go; the one
        // being read stays.
        #expect(states == ["evicted", "evicted", "present", "present", "present"])
    }

    @Test("the maintenance pass brings the store back under the soft limit")
    func softLimitPass() async throws {
        let fixture = try StoreFixture(retention: Self.capped)
        var receipts: [IntakeReceipt] = []
        for index in 0..<5 {
            receipts.append(try await fixture.ingest(SyntheticDICOM.randomBytes(19_000), sopInstanceUID: "1.3.3.\(index)"))
        }
        #expect(try fixture.store.storageReport().level == .soft)
        for receipt in receipts { try await fixture.markSent(instanceID: receipt.instanceID) }
        let eviction = try fixture.store.enforceRetention()
        #expect(eviction.evictedInstances == 1)
        #expect(try fixture.store.storageReport().level == .normal)
        #expect(try fixture.store.enforceRetention().evictedInstances == 0, "nothing more once below the soft limit")
    }

    @Test("bytes of an evicted instance that arrive again are filed again")
    func evictedComesBack() async throws {
        let fixture = try StoreFixture()
        let bytes = SyntheticDICOM.randomBytes(3000)
        let receipt = try await fixture.ingest(bytes, sopInstanceUID: "1.3.4.1")
        try await fixture.markSent(instanceID: receipt.instanceID)
        #expect(try fixture.store.evict(atLeast: 1, reason: "test").evictedInstances == 1)
        let again = try await fixture.ingest(bytes, sopInstanceUID: "1.3.4.1")
        #expect(again.outcome == .duplicate && again.instanceID == receipt.instanceID)
        #expect(try fixture.blobBytes(receipt.sha256) == bytes)
        #expect(try fixture.count("instance", where: "blobState = 'present'") == 1)
    }

    @Test("an instance queued for no destination is never evicted")
    func localOnlyNeverEvicted() async throws {
        let fixture = try StoreFixture(destinations: [])
        let receipt = try await fixture.ingest([5, 5, 5], sopInstanceUID: "1.3.5.1")
        #expect(try fixture.store.evict(atLeast: 1 << 30, reason: "test").evictedInstances == 0)
        #expect(try fixture.blobBytes(receipt.sha256) == [5, 5, 5])
    }

    @Test("a suspended store refuses intake with the reason")
    func suspended() async throws {
        let fixture = try StoreFixture()
        fixture.store.suspendIntake(reason: "quick_check failed")
        do {
            try await fixture.ingest([1], sopInstanceUID: "1.3.6.1")
            Issue.record("a suspended store acknowledged an intake")
        } catch let error as StoreError {
            #expect(error.code == .storeDamaged && error.detail.contains("quick_check failed"))
        }
    }
}
