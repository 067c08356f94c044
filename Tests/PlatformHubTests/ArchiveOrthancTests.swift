import DICOM
import FluoroboxTestSupport
import Foundation
import PlatformHub
import POSIXSupport
import Testing

/// The archive queue against a real PACS: Debian's Orthanc with its DICOMweb plugin and its
/// index in PostgreSQL (the test's own server), behind basic auth; hub replicas as processes.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .enabled(if: OrthancServer.unavailableReason == nil, Comment(rawValue: OrthancServer.unavailableReason ?? "")),
    .serialized
)
struct ArchiveOrthancTests {
    /// PostgreSQL with the hub's and Orthanc's databases, Orthanc, a staging folder.
    struct Region {
        let server: PostgresServer
        let database: String
        let orthanc: OrthancServer
        let staging = TemporaryDirectory("staging")
        let scratch = TemporaryDirectory("chunks")

        static func start(_ label: String) async throws -> Region {
            let server = try await PostgresServer.start(label)
            let database = try await server.createDatabase("hub")
            _ = try await server.createDatabase("orthanc")
            let orthanc = try await OrthancServer.start(index: (server.port, server.user, "orthanc"))
            return Region(server: server, database: database, orthanc: orthanc)
        }

        func replica(crashAt: String? = nil) async throws -> HubReplica {
            try await HubReplica(
                database: database, staging: staging.path,
                extra: ArchiveFixture.fastWorkers + ["--archive-stow", orthanc.dicomWebRoot],
                environment: [STOWArchive.userVariable: orthanc.username, STOWArchive.passwordVariable: orthanc.password],
                crashAt: crashAt
            )
        }

        /// Uploads `bytes` as one chunk and returns its key.
        @discardableResult
        func upload(_ bytes: [UInt8], port: Int, key: String? = nil) async throws -> String {
            let key = try key ?? ArchiveFixture.key(of: bytes)
            let answer = try await Curl.chunk(port: port, key: key, bytes: bytes, offset: 0, end: bytes.count, folder: scratch)
            #expect(answer.status == 201, "\(answer.status) \(answer.body)")
            return key
        }

        func sql(_ statement: String) async throws -> String {
            try await server.sql(statement, database: "hub")
        }

        func waitUntilArchived(_ count: Int) async throws {
            try await ArchiveFixture.waitUntil("\(count) rows archived with their staged bytes released") {
                try await sql("SELECT count(*) FROM archive_job WHERE state = 'archived' AND staged_released_at IS NOT NULL") == "\(count)"
            }
        }

        /// Orthanc holds exactly `sent` (by SOP Instance UID), each once and byte for byte.
        func expectOrthancHolds(_ sent: [String: [UInt8]], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let held = try await orthanc.instances()
            #expect(held.map(\.sopInstanceUID).sorted() == sent.keys.sorted(), sourceLocation: sourceLocation)
            for (id, uid) in held {
                #expect(try await orthanc.file(id) == sent[uid], "bytes of \(uid)", sourceLocation: sourceLocation)
            }
        }

        func stop(_ replicas: [HubReplica]) async throws {
            for replica in replicas { await replica.stop() }
            await orthanc.stop()
            try await server.stop()
        }
    }

    static func instances(_ count: Int, size: Int = 30_000) throws -> [String: [UInt8]] {
        var made: [String: [UInt8]] = [:]
        for index in 0..<count {
            let uid = DICOMUID.random()
            made[uid] = try SyntheticDICOM.make(sopInstanceUID: uid, payload: SyntheticDICOM.randomBytes(size + index))
        }
        return made
    }

    @Test("instances uploaded through two replicas reach Orthanc exactly once, byte for byte, and their staged bytes go")
    func instancesReachOrthancOnce() async throws {
        let region = try await Region.start("pg-archive-orthanc")
        let replicas = [try await region.replica(), try await region.replica()]
        var sent = try Self.instances(10)
        // A real radiograph from the shared test material too, when it is here.
        if TestData.available, let file = TestData.files(under: "dicom/radiography").first(where: { $0.hasSuffix("explicitLE_mono1_10bit.dcm") }) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            sent[try #require(try DICOMFileUID.sopInstanceUID(bytes))] = bytes
        } else {
            print("archive: \(TestData.skipMessage); synthetic instances only")
        }
        for (index, bytes) in sent.values.enumerated() {
            try await region.upload(bytes, port: replicas[index % 2].port)
        }
        try await region.waitUntilArchived(sent.count)
        try await region.expectOrthancHolds(sent)
        // Four senders in two replicas, and Orthanc received one STOW-RS per instance: no row
        // was sent twice, nor claimed twice.
        #expect(region.orthanc.stowRequests == sent.count)
        #expect(try await region.sql("SELECT count(*) FROM archive_job WHERE attempts <> 1") == "0")
        #expect(try await region.sql("SELECT count(DISTINCT claimed_by) FROM archive_job") == "2", "both replicas sent")
        #expect(try Posix.directoryEntries(region.staging.path + "/items").isEmpty)
        let references = try await region.sql("SELECT string_agg(archive_reference, ' ') FROM archive_job")
        #expect(sent.keys.allSatisfy { references.contains("/instances/\($0)") })
        let status = try await ArchiveFixture.status(database: region.database)
        #expect(status.count("archived") == sent.count && status.count("waiting") == 0 && status.problems.isEmpty)
        try await region.stop(replicas)
    }

    @Test("while Orthanc is down rows wait with the error visible in archive status; once it is up they are delivered; a refused one fails and is retried by hand")
    func orthancDownThenUp() async throws {
        let region = try await Region.start("pg-archive-down")
        await region.orthanc.stop()
        let replicas = [try await region.replica(), try await region.replica()]
        let sent = try Self.instances(3)
        for (index, bytes) in sent.values.enumerated() {
            try await region.upload(bytes, port: replicas[index % 2].port)
        }
        // Not DICOM: the PACS will refuse it for good.
        let junk = StoreHarness.bytes(count: 4_000, seed: 99)
        let junkKey = try await region.upload(junk, port: replicas[0].port, key: "instance:9.9.9:\(SHA256Hex.string(of: junk))")

        var status = ArchiveStatus()
        try await ArchiveFixture.waitUntil("every row failed at least twice with its error shown") {
            status = try await ArchiveFixture.status(database: region.database)
            return status.problems.count == 4 && status.problems.allSatisfy { $0.attempts >= 2 }
        }
        #expect(status.count("waiting") + status.count("sending") == 4 && status.count("archived") == 0)
        #expect(status.oldestWaiting != nil)
        #expect(status.problems.allSatisfy { $0.lastError.contains("could not be reached") && $0.nextAttemptAt != nil }, "\(status.problems)")
        let text = try await ProcessRunner.run(HubReplica.binary, ["archive", "status", "--database", region.database])
        #expect(text.stdout.contains("attempts") && text.stdout.contains(junkKey), Comment(rawValue: text.stdout))
        print("archive, PACS down: \(status.problems.first?.lastError ?? "")")

        try await region.orthanc.start()
        try await region.waitUntilArchived(3)
        try await ArchiveFixture.waitUntil("the non-DICOM row failed for good") {
            try await region.sql("SELECT state FROM archive_job JOIN item ON item.id = item_id WHERE key = '\(junkKey)'") == "failed"
        }
        try await region.expectOrthancHolds(sent)
        status = try await ArchiveFixture.status(database: region.database)
        let refused = try #require(status.problems.first)
        #expect(status.count("archived") == 3 && status.count("failed") == 1 && refused.key == junkKey)
        #expect(refused.lastError.contains("HTTP 400") && refused.nextAttemptAt == nil, "\(refused)")
        // Its staged bytes are kept for a person to look at.
        #expect(try Posix.directoryEntries(region.staging.path + "/items") == [SHA256Hex.string(of: junk)])

        let retry = try await ProcessRunner.run(HubReplica.binary, ["archive", "retry", "--failed", "--database", region.database])
        #expect(retry.status == 0 && retry.stdout.contains("1 rows due now"), "\(retry.stdout)\(retry.stderr)")
        try await ArchiveFixture.waitUntil("the retried row was tried again and failed again") {
            try await region.sql("SELECT state, attempts > \(refused.attempts) FROM archive_job JOIN item ON item.id = item_id WHERE key = '\(junkKey)'") == "failed|t"
        }
        try await region.stop(replicas)
    }

    @Test("a replica killed after Orthanc stored an instance but before the queue knew: the row is sent again after the lease and Orthanc holds it once")
    func killedBetweenSendAndConfirm() async throws {
        let region = try await Region.start("pg-archive-kill")
        let doomed = try await region.replica(crashAt: "hub-archive-sent")
        let sent = try Self.instances(1)
        let key = try await region.upload(try #require(sent.values.first), port: doomed.port)
        try await doomed.waitForExit()
        #expect(try await region.sql("SELECT state, attempts FROM archive_job") == "sending|1")
        #expect(region.orthanc.stowRequests == 1)
        try await region.expectOrthancHolds(sent)

        // Back without the crash point: the row is taken again once the 5 s lease has passed.
        try await doomed.start()
        try await region.waitUntilArchived(1)
        #expect(try await region.sql("SELECT state, attempts FROM archive_job") == "archived|2")
        #expect(region.orthanc.stowRequests == 2)
        try await region.expectOrthancHolds(sent)
        #expect(try Posix.directoryEntries(region.staging.path + "/items").isEmpty)
        #expect(try await region.sql("SELECT count(*) FROM item WHERE key = '\(key)'") == "1")
        try await region.stop([doomed])
    }
}
