import FluoroboxTestSupport
import Foundation
import GRDB
import Testing
@testable import StudyStore

@Suite("Schema and connection settings")
struct SchemaTests {
    @Test("the store runs in WAL mode with synchronous=FULL on the writer")
    func walAndFullSync() async throws {
        let fixture = try StoreFixture()
        let (mode, synchronous, foreignKeys) = try await fixture.store.database.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Bool.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(mode == "wal")
        #expect(synchronous == 2, "synchronous must be FULL (2) so a commit is on disk before it is acknowledged")
        #expect(foreignKeys == true)
    }

    @Test("every table of the foundation exists with its key columns")
    func tables() throws {
        let fixture = try StoreFixture()
        let expected: [String: Set<String>] = [
            "study": ["id", "studyInstanceUID", "uidGenerated", "patientID", "createdAt"],
            "instance": ["id", "studyID", "sopInstanceUID", "sha256", "size", "blobPath", "blobState", "source", "uidConflict", "receivedAt"],
            "analysis": ["id", "instanceID", "task", "modelID", "modelVersion", "status", "queuedAt", "startedAt", "finishedAt"],
            "result": ["id", "analysisID", "instanceID", "flagged", "report", "resultHash"],
            "outboxItem": ["id", "destination", "kind", "idempotencyKey", "priority", "attempts", "nextAttemptAt", "state"],
            "auditEvent": ["id", "at", "kind", "severity", "message", "details"],
        ]
        try fixture.outsideView().read { db in
            for (table, columns) in expected {
                let actual = Set(try db.columns(in: table).map(\.name))
                #expect(columns.isSubset(of: actual), "\(table) lacks \(columns.subtracting(actual))")
            }
        }
    }

    @Test("opening twice runs no migration twice and keeps the data")
    func reopen() async throws {
        let fixture = try StoreFixture()
        try await fixture.ingest([1, 2, 3], sopInstanceUID: "1.2.3.1")
        let again = try StudyStore.open(fixture.store.configuration, logger: quietLogger)
        #expect(try again.listStudies().count == 1)
        let applied = try await again.database.read { db in try StoreMigrations.migrator.appliedMigrations(db) }
        #expect(applied.first == "v1-foundation")
        #expect(applied == StoreMigrations.migrator.migrations, "every migration applied once, in order")
    }

    @Test("a tool refuses to create a store where none exists")
    func noCreate() throws {
        let folder = TemporaryDirectory("nocreate")
        let configuration = StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("absent")))
        #expect(throws: StoreError.self) {
            try StudyStore.open(configuration, logger: quietLogger, createIfMissing: false)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("absent/store.sqlite")))
    }

    @Test("each record type round-trips through its table")
    func recordsRoundTrip() async throws {
        let fixture = try StoreFixture()
        let receipt = try await fixture.ingest([9, 9, 9], sopInstanceUID: "1.2.3.9", analyses: ["quality"])
        // Whole seconds: SQLite keeps dates to the millisecond.
        let moment = Date(timeIntervalSince1970: 1_795_000_000)
        try await fixture.store.database.write { db in
            var analysis = try #require(try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == receipt.instanceID).fetchOne(db))
            #expect(analysis.status == .pending && analysis.task == "quality")
            analysis.status = .done
            analysis.modelID = "demo"
            analysis.modelVersion = "1.0.0"
            try analysis.update(db)
            var result = ResultRecord(
                id: nil, analysisID: analysis.id!, instanceID: receipt.instanceID, flagged: true,
                qualityVerdict: "ok", report: "{}", resultHash: "abc", createdAt: moment
            )
            try result.insert(db)
            var item = OutboxItemRecord(
                id: nil, destination: .platform, kind: .result,
                idempotencyKey: OutboxItemRecord.resultKey(studyInstanceUID: receipt.studyInstanceUID, modelVersion: "1.0.0", resultHash: "abc"),
                priority: .result, instanceID: receipt.instanceID, resultID: result.id, payloadBytes: 2, state: .queued,
                attempts: 0, nextAttemptAt: moment, lastError: nil, rejectedReason: nil, createdAt: moment, sentAt: nil
            )
            try item.insert(db)
            let fetched = try #require(try OutboxItemRecord.fetchOne(db, key: item.id))
            #expect(fetched == item)
            #expect(try ResultRecord.fetchOne(db, key: result.id) == result)
            #expect(try StudyRecord.fetchCount(db) == 1)
            #expect(try AuditEventRecord.filter(AuditEventRecord.Columns.kind == "instance.stored").fetchCount(db) == 1)
        }
    }

    @Test("constraints refuse what the vocabulary does not allow")
    func constraints() async throws {
        let fixture = try StoreFixture()
        let receipt = try await fixture.ingest([4, 5, 6], sopInstanceUID: "1.2.3.4.5")
        await #expect(throws: DatabaseError.self) {
            try await fixture.store.database.write { db in
                try db.execute(sql: "UPDATE instance SET blobState = 'gone' WHERE id = ?", arguments: [receipt.instanceID])
            }
        }
        await #expect(throws: DatabaseError.self) {
            try await fixture.store.database.write { db in
                try db.execute(sql: "UPDATE outboxItem SET state = 'lost'")
            }
        }
        // One item per destination and key.
        await #expect(throws: DatabaseError.self) {
            try await fixture.store.database.write { db in
                try db.execute(sql: "INSERT INTO outboxItem (destination, kind, idempotencyKey, priority, payloadBytes, state, nextAttemptAt, createdAt) SELECT destination, kind, idempotencyKey, priority, payloadBytes, state, nextAttemptAt, createdAt FROM outboxItem")
            }
        }
        // An instance cannot point at a study that does not exist.
        await #expect(throws: DatabaseError.self) {
            try await fixture.store.database.write { db in
                try db.execute(sql: "UPDATE instance SET studyID = 999")
            }
        }
    }
}
