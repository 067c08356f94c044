import Crypto
import FluoroboxTestSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import PlatformHub
import POSIXSupport
import Testing

/// The PostgreSQL store in this process against a real PostgreSQL 15: several stores on one
/// database stand for replicas (each its own connection pool).
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct PostgresStoreTests {
    @Test func migrationsLandOnceAndAreRecorded() async throws {
        let server = try await PostgresServer.start("pg-migrate")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        // Three replicas starting together migrate once (the advisory lock).
        try await StoreHarness.with(3, url: url, staging: staging.path) { _ in }
        let landed = try await server.sql("SELECT version, name FROM hub_schema_migration ORDER BY version", database: "hub")
        #expect(landed == "1|devices-items-uploads\n2|device-enrolment\n3|archive-queue\n4|heartbeats\n5|device-institution\n6|console-operators-audit\n7|credential-rule\n8|os-assignment\n9|model-assignment\n10|model-rollout\n11|model-assignment-role\n12|screening-list")
        let tables = try await server.sql(
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'",
            database: "hub"
        )
        #expect(tables == "archive_job,console_audit,console_operator,device,device_certificate,device_credential,device_heartbeat,device_institution,device_last_heartbeat,enrolment_token,hub_schema_migration,item,model_assignment,model_rollout,os_assignment,screening_entry,upload,upload_part")
        // A later start finds everything landed and changes nothing.
        try await StoreHarness.with(1, url: url, staging: staging.path) { _ in }
        #expect(try await server.sql("SELECT count(*) FROM hub_schema_migration", database: "hub") == "12")
        // A landed migration that reads differently (edited after it landed) stops the hub.
        try await server.sql("UPDATE hub_schema_migration SET checksum = 'edited' WHERE version = 1", database: "hub")
        await #expect(throws: HubError.self) {
            try await StoreHarness.with(1, url: url, staging: staging.path) { _ in }
        }
        try await server.stop()
    }

    @Test func documentsAreKeptOncePerDeviceAndKey() async throws {
        let server = try await PostgresServer.start("pg-docs")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            let body = Array(#"{"schema":"fluorobox.result/1"}"#.utf8)
            #expect(try await stores[0].putDocument(key: "result:1", kind: "result", device: "box-a", serial: nil, document: DocumentBody(body)))
            // The retry lands on the other replica: already held, same bytes.
            #expect(try await stores[1].putDocument(key: "result:1", kind: "result", device: "box-a", serial: nil, document: DocumentBody(body)) == false)
            // Other bytes under the key: a conflict.
            await #expect(throws: HubError.self) {
                _ = try await stores[1].putDocument(key: "result:1", kind: "result", device: "box-a", serial: nil, document: DocumentBody(Array("{}".utf8)))
            }
            // Keys live per device.
            #expect(try await stores[1].putDocument(key: "result:1", kind: "result", device: "box-b", serial: nil, document: DocumentBody(Array("{}".utf8))))
            try await stores[0].recordHello(device: "box-a", version: "1.2.3")
            try await stores[1].recordHello(device: "box-a", version: "1.2.4")
            #expect(try await stores[0].list(device: "box-a").map(\.key) == ["result:1"])
            #expect(try await stores[1].list(device: nil).count == 2)
        }
        #expect(try await server.sql("SELECT id, version FROM device", database: "hub") == "box-a|1.2.4")
        #expect(try await server.sql("SELECT count(*) FROM item WHERE key = 'result:1'", database: "hub") == "2")
        try await server.stop()
    }

    @Test func anUploadBegunOnOneReplicaFinishesOnAnother() async throws {
        let server = try await PostgresServer.start("pg-upload")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let bytes = StoreHarness.bytes(count: 300_000, seed: 7)
        let sha = SHA256Hex.string(of: bytes)
        let length = Int64(bytes.count)
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            let first = try await stores[0].receiveChunk(
                device: "box-a", key: "instance:1", upload: UploadHeaders(offset: 0, length: length, sha256: sha),
                body: StoreHarness.body(bytes[0..<100_000])
            )
            #expect(first == .accepted(.partial(offset: 100_000, length: length, sha256: sha)))
            #expect(try await stores[1].uploadState(device: "box-a", key: "instance:1") == .partial(offset: 100_000, length: length, sha256: sha))
            // A chunk at the wrong offset is refused, whichever replica gets it.
            await #expect(throws: HubError.self) {
                _ = try await stores[1].receiveChunk(
                    device: "box-a", key: "instance:1", upload: UploadHeaders(offset: 0, length: length, sha256: sha),
                    body: StoreHarness.body(bytes[0..<100_000])
                )
            }
            // A chunk cut mid-body leaves the offset where it was.
            await #expect(throws: (any Error).self) {
                _ = try await stores[1].receiveChunk(
                    device: "box-a", key: "instance:1", upload: UploadHeaders(offset: 100_000, length: length, sha256: sha),
                    body: StoreHarness.cutBody(bytes[100_000..<150_000])
                )
            }
            #expect(try await stores[0].uploadState(device: "box-a", key: "instance:1") == .partial(offset: 100_000, length: length, sha256: sha))
            let second = try await stores[1].receiveChunk(
                device: "box-a", key: "instance:1", upload: UploadHeaders(offset: 100_000, length: length, sha256: sha),
                body: StoreHarness.body(bytes[100_000...])
            )
            #expect(second == .completed(.complete(size: length, sha256: sha)))
            // The box's retry of the last chunk after a lost answer: already held.
            let retry = try await stores[0].receiveChunk(
                device: "box-a", key: "instance:1", upload: UploadHeaders(offset: 100_000, length: length, sha256: sha),
                body: StoreHarness.body(bytes[100_000...])
            )
            #expect(retry == .alreadyHeld(.complete(size: length, sha256: sha)))
            let listed = try await stores[0].list(device: "box-a")
            #expect(listed.map(\.key) == ["instance:1"])
            #expect(listed.first?.bytesResent == 50_000)
        }
        #expect(try SHA256Hex.string(ofFileAt: staging.path + "/items/" + sha) == sha)
        #expect(try await server.sql("SELECT state, staged_bytes FROM upload", database: "hub") == "complete|300000")
        #expect(try await server.sql("SELECT count(*), sum(length) FROM upload_part", database: "hub") == "2|300000")
        try await server.stop()
    }

    @Test func wrongBytesStartOverAndLostStagingIsNoticed() async throws {
        let server = try await PostgresServer.start("pg-digest")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let bytes = StoreHarness.bytes(count: 20_000, seed: 3)
        let sha = SHA256Hex.string(of: bytes)
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            let store = stores[0]
            // The announced digest is not the bytes': 422 and the upload starts over.
            let wrong = String(repeating: "0", count: 64)
            await #expect(throws: HubError.self) {
                _ = try await store.receiveChunk(
                    device: "box-a", key: "k", upload: UploadHeaders(offset: 0, length: 20_000, sha256: wrong), body: StoreHarness.body(bytes[...])
                )
            }
            #expect(try await store.uploadState(device: "box-a", key: "k") == .partial(offset: 0, length: nil, sha256: nil))
            // Half the bytes, then the shared folder loses the part file: the next chunk hears
            // that the upload starts over at 0 instead of building on bytes that are gone.
            _ = try await store.receiveChunk(
                device: "box-a", key: "k", upload: UploadHeaders(offset: 0, length: 20_000, sha256: sha), body: StoreHarness.body(bytes[..<10_000])
            )
            for name in try Posix.directoryEntries(staging.path + "/uploads") { try Posix.unlink(staging.path + "/uploads/" + name) }
            await #expect(throws: HubError.self) {
                _ = try await store.receiveChunk(
                    device: "box-a", key: "k", upload: UploadHeaders(offset: 10_000, length: 20_000, sha256: sha), body: StoreHarness.body(bytes[10_000...])
                )
            }
            #expect(try await store.uploadState(device: "box-a", key: "k") == .partial(offset: 0, length: 20_000, sha256: sha))
            let whole = try await store.receiveChunk(
                device: "box-a", key: "k", upload: UploadHeaders(offset: 0, length: 20_000, sha256: sha), body: StoreHarness.body(bytes[...])
            )
            #expect(whole == .completed(.complete(size: 20_000, sha256: sha)))
        }
        try await server.stop()
    }
}

/// Stores on one database, their pools running for the length of a test body.
enum StoreHarness {
    static func with(
        _ count: Int, url: String, staging: String, connections: Int = 4, _ body: @Sendable ([PostgresHubStore]) async throws -> Void
    ) async throws {
        let stores = try (0..<count).map { index in
            var settings = try PostgresHubStore.Settings(url: url, staging: staging)
            settings.applicationName = "test-replica-\(index)"
            settings.maximumConnections = connections
            return PostgresHubStore(settings: settings, logger: quietLogger)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores {
                for service in store.services { group.addTask { try await service.run() } }
            }
            do {
                try await withThrowingTaskGroup(of: Void.self) { starting in
                    for store in stores { starting.addTask { try await store.prepare() } }
                    try await starting.waitForAll()
                }
                try await body(stores)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static func body(_ bytes: ArraySlice<UInt8>) -> RequestBody {
        RequestBody(buffer: ByteBuffer(bytes: bytes))
    }

    /// Delivers `bytes` in two pieces, then fails as a cut connection does.
    static func cutBody(_ bytes: ArraySlice<UInt8>) -> RequestBody {
        let middle = bytes.startIndex + bytes.count / 2
        let pieces = [ByteBuffer(bytes: bytes[..<middle]), ByteBuffer(bytes: bytes[middle...])]
        return RequestBody(asyncSequence: CutSequence(pieces: pieces))
    }

    struct CutSequence: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let pieces: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var pieces: [ByteBuffer]
            mutating func next() async throws -> ByteBuffer? {
                guard !pieces.isEmpty else { throw TestServerError("connection cut") }
                return pieces.removeFirst()
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pieces: pieces) }
    }
}
