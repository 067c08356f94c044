import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import POSIXSupport
import Testing

/// The archive queue in PostgreSQL (migration 3) through the store, and the folder target
/// through two real replicas.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct ArchiveQueueTests {
    @Test("a database with migrations 1 and 3 takes 2 when a build that knows it starts, and runs 3 once")
    func migrationsLandInAnyOrder() async throws {
        let server = try await PostgresServer.start("pg-gap")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            #expect(try await server.sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM hub_schema_migration", database: "hub") == "1,2,3,4,5,6,7,8,9,10,11,12")
            // The order two branches landed in on some databases: 1 and 3, without 2.
            _ = try await server.sql(
                "DROP TABLE enrolment_token, device_certificate, device_credential CASCADE; DELETE FROM hub_schema_migration WHERE version = 2",
                database: "hub"
            )
            #expect(try await server.sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM hub_schema_migration", database: "hub") == "1,3,4,5,6,7,8,9,10,11,12")
            // Migration 3's CREATE TABLE would fail if it ran again: it does not.
            try await stores[0].migrate()
            try await stores[0].migrate()
        }
        #expect(try await server.sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM hub_schema_migration", database: "hub") == "1,2,3,4,5,6,7,8,9,10,11,12")
        #expect(try await server.sql("SELECT count(*) FROM device_credential", database: "hub") == "0")
        try await server.stop()
    }

    @Test("rows are queued with their instance, a lost lease cannot confirm, shared bytes go only when every item is archived")
    func claimsLeasesAndSharedStagedBytes() async throws {
        let server = try await PostgresServer.start("pg-archive-queue")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let bytes = StoreHarness.bytes(count: 50_000, seed: 5)
        let sha = SHA256Hex.string(of: bytes)
        let staged = staging.path + "/items/" + sha
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            // The same bytes from two devices: two items, two rows, one staged file.
            for device in ["box-a", "box-b"] {
                let outcome = try await stores[0].receiveChunk(
                    device: device, key: "instance:1.2.3:\(sha)", upload: UploadHeaders(offset: 0, length: 50_000, sha256: sha),
                    body: StoreHarness.body(bytes[...])
                )
                #expect(outcome == .completed(.complete(size: 50_000, sha256: sha)))
            }
            _ = try await stores[0].putDocument(key: "result:1", kind: "result", device: "box-a", serial: nil, document: DocumentBody(Array("{}".utf8)))
            #expect(try await server.sql("SELECT count(*), min(state) FROM archive_job", database: "hub") == "2|waiting")

            // A claim whose lease runs out is taken by another worker; the first cannot confirm.
            let stale = try #require(try await stores[0].claimArchiveJob(replica: "a", lease: .milliseconds(200)))
            let second = try #require(try await stores[0].claimArchiveJob(replica: "a", lease: .seconds(60)))
            #expect(second.itemID != stale.itemID && second.instance.path == staged)
            try await Task.sleep(for: .milliseconds(600))
            let first = try #require(try await stores[1].claimArchiveJob(replica: "b", lease: .seconds(60)))
            #expect(first.itemID == stale.itemID && first.attempts == 2)
            #expect(try await stores[0].confirmArchived(stale, target: "test", reference: "stale") == false)
            #expect(try await stores[1].confirmArchived(first, target: "test", reference: "ref-1"))
            try await stores[1].releaseStagedFile(sha256: sha)
            // The other device's item of the same bytes is not archived yet: the file stays.
            #expect(FileManager.default.fileExists(atPath: staged))
            // Nothing else is due while the other row is held.
            #expect(try await stores[1].claimArchiveJob(replica: "b", lease: .seconds(60)) == nil)
            try await stores[0].recordArchiveFailure(second, target: "test", error: "the PACS said no", retryAfter: nil)
            var status = try await stores[1].archiveStatus()
            #expect(status.count("archived") == 1 && status.count("failed") == 1 && status.archivedNotReleased == 1)
            #expect(status.problems.map(\.lastError) == ["the PACS said no"] && status.problems.first?.nextAttemptAt == nil)
            #expect(FileManager.default.fileExists(atPath: staged))
            #expect(try await stores[1].claimArchiveJob(replica: "b", lease: .seconds(60)) == nil)

            #expect(try await stores[1].retryArchive(key: nil, device: nil) == 1)
            let again = try #require(try await stores[1].claimArchiveJob(replica: "b", lease: .seconds(60)))
            #expect(again.itemID == second.itemID && again.attempts == 2)
            #expect(try await stores[1].confirmArchived(again, target: "test", reference: "ref-2"))
            try await stores[1].releaseStagedFile(sha256: sha)
            #expect(!FileManager.default.fileExists(atPath: staged))
            status = try await stores[0].archiveStatus()
            #expect(status.count("archived") == 2 && status.archivedNotReleased == 0 && status.problems.isEmpty && status.oldestWaiting == nil)
        }
        #expect(try await server.sql("SELECT count(*) FROM archive_job WHERE staged_released_at IS NOT NULL", database: "hub") == "2")
        try await server.stop()
    }

    @Test("two replicas archive into one folder: each instance once, by device and key, fsync'd, and the staged bytes go")
    func folderTargetThroughTwoReplicas() async throws {
        let server = try await PostgresServer.start("pg-archive-folder")
        let database = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let archive = TemporaryDirectory("archive")
        let scratch = TemporaryDirectory("chunks")
        let options = ArchiveFixture.fastWorkers + ["--archive-folder", archive.path]
        let replicas = [
            try await HubReplica(database: database, staging: staging.path, extra: options),
            try await HubReplica(database: database, staging: staging.path, extra: options),
        ]
        var sent: [String: [UInt8]] = [:]
        for index in 0..<12 {
            let bytes = try SyntheticDICOM.make(payload: SyntheticDICOM.randomBytes(20_000 + index))
            let key = try ArchiveFixture.key(of: bytes)
            let answer = try await Curl.chunk(port: replicas[index % 2].port, key: key, bytes: bytes, offset: 0, end: bytes.count, folder: scratch)
            #expect(answer.status == 201)
            sent[key] = bytes
        }
        try await ArchiveFixture.waitUntil("12 rows archived") {
            try await server.sql("SELECT count(*) FROM archive_job WHERE state = 'archived' AND staged_released_at IS NOT NULL", database: "hub") == "12"
        }
        let files = try Posix.directoryEntries(archive.path + "/box-a").sorted()
        #expect(files == sent.keys.map { $0 + ".dcm" }.sorted())
        for (key, bytes) in sent {
            #expect(try SHA256Hex.string(ofFileAt: archive.path + "/box-a/\(key).dcm") == SHA256Hex.string(of: bytes))
        }
        // Each row was claimed once: no worker took a row another held.
        #expect(try await server.sql("SELECT count(*) FROM archive_job WHERE attempts <> 1", database: "hub") == "0")
        #expect(try await server.sql("SELECT count(DISTINCT archive_reference) FROM archive_job", database: "hub") == "12")
        #expect(try Posix.directoryEntries(staging.path + "/items").isEmpty)
        for replica in replicas { await replica.stop() }
        try await server.stop()
    }
}

/// What the archive tests share.
enum ArchiveFixture {
    /// Workers that poll often, lease briefly and retry soon, so tests wait seconds, not minutes.
    static let fastWorkers = [
        "--archive-poll", "0.1", "--archive-lease", "5", "--archive-retry-base", "0.3", "--archive-retry-max", "1",
    ]

    /// The box's key of an instance: `instance:<SOP Instance UID>:<SHA-256>`.
    static func key(of bytes: [UInt8]) throws -> String {
        let uid = try #require(try DICOMFileUID.sopInstanceUID(bytes))
        return "instance:\(uid):\(SHA256Hex.string(of: bytes))"
    }

    /// Polls `condition` until it holds; fails the test with `what` after `timeout`.
    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("not reached within \(timeout): \(what)", sourceLocation: sourceLocation)
        throw TestServerError("not reached: \(what)")
    }

    /// `fluorobox-hub archive status --json`, as an operator runs it.
    static func status(database: String) async throws -> ArchiveStatus {
        let result = try await ProcessRunner.run(HubReplica.binary, ["archive", "status", "--json", "--database", database])
        guard result.status == 0 else { throw TestServerError("archive status exited \(result.status): \(result.stderr)") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ArchiveStatus.self, from: Data(result.stdout.utf8))
    }
}
