import FluoroboxTestSupport
import Foundation
import Glibc
import POSIXSupport
import Testing

/// Two `fluorobox-hub serve` processes on one PostgreSQL behind HAProxy: real processes, real
/// TCP sockets, curl as the box.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .enabled(if: HAProxyProcess.binary != nil, Comment(rawValue: HAProxyProcess.unavailableReason ?? "")),
    .serialized
)
struct ReplicaTests {
    static let megabyte = 1 << 20

    /// A region in miniature: PostgreSQL, a shared staging folder, two replicas, HAProxy.
    struct Region {
        let server: PostgresServer
        let staging: TemporaryDirectory
        let database: String
        let replicas: [HubReplica]
        let balancer: HAProxyProcess
        let scratch = TemporaryDirectory("chunks")

        static func start(_ label: String, replicaArguments: [String] = []) async throws -> Region {
            let server = try await PostgresServer.start(label)
            let database = try await server.createDatabase("hub")
            let staging = TemporaryDirectory("staging")
            let first = try await HubReplica(database: database, staging: staging.path, extra: replicaArguments)
            let second = try await HubReplica(database: database, staging: staging.path, extra: replicaArguments)
            let balancer = try await HAProxyProcess(backends: [first.port, second.port])
            return Region(server: server, staging: staging, database: database, replicas: [first, second], balancer: balancer)
        }

        func stop() async throws {
            await balancer.stop()
            for replica in replicas { await replica.stop() }
            try await server.stop()
        }

        func sql(_ statement: String) async throws -> String {
            try await server.sql(statement, database: "hub")
        }

        /// Keys held more than once (must be none) and the number of items.
        func duplicatesAndCount() async throws -> (duplicates: String, count: Int) {
            let duplicates = try await sql("SELECT string_agg(key, ',') FROM (SELECT key FROM item GROUP BY device, key HAVING count(*) > 1) AS twice")
            return (duplicates, Int(try await sql("SELECT count(*) FROM item")) ?? -1)
        }
    }

    /// The replica (of `replicas`) that holds a part file under `folder` open, i.e. streams a
    /// chunk, polled until `within` passes.
    static func replicaStreaming(_ replicas: [HubReplica], into folder: String, within: Duration) async throws -> HubReplica? {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if let replica = replicas.first(where: { $0.hasOpen(under: folder) }) { return replica }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func anUploadBegunThroughOneReplicaIsFinishedThroughTheOther() async throws {
        let region = try await Region.start("pg-replicas")
        let (a, b) = (region.replicas[0].port, region.replicas[1].port)
        let bytes = StoreHarness.bytes(count: 3 * Self.megabyte, seed: 11)
        let sha = SHA256Hex.string(of: bytes)
        let key = "instance:1.2.3:\(sha)"
        let mb = Self.megabyte

        let first = try await Curl.chunk(port: a, key: key, bytes: bytes, offset: 0, end: mb, folder: region.scratch)
        #expect(first.status == 202 && first.headers["upload-offset"] == "\(mb)")
        let resume = try await Curl.call(port: b, "HEAD", "/v1/instances/\(key)")
        #expect(resume.status == 200 && resume.headers["upload-offset"] == "\(mb)" && resume.headers["upload-complete"] == "?0")
        let second = try await Curl.chunk(port: b, key: key, bytes: bytes, offset: mb, end: 2 * mb, folder: region.scratch)
        #expect(second.status == 202 && second.headers["upload-offset"] == "\(2 * mb)")
        // A stale chunk on the first replica: 409 with the offset the region holds.
        let stale = try await Curl.chunk(port: a, key: key, bytes: bytes, offset: 0, end: mb, folder: region.scratch)
        #expect(stale.status == 409 && stale.headers["upload-offset"] == "\(2 * mb)")
        let last = try await Curl.chunk(port: a, key: key, bytes: bytes, offset: 2 * mb, end: 3 * mb, folder: region.scratch)
        #expect(last.status == 201 && last.headers["upload-complete"] == "?1" && last.headers["content-sha256"] == sha)
        // The answer was lost; the box's retry lands on the other replica: held, once.
        let retry = try await Curl.chunk(port: b, key: key, bytes: bytes, offset: 2 * mb, end: 3 * mb, folder: region.scratch)
        #expect(retry.status == 200 && retry.headers["upload-complete"] == "?1")

        // Through HAProxy (round robin per request): a result twice and a second instance.
        let port = region.balancer.port
        let result = #"{"schemaVersion":1,"model":{"id":"m1","version":"1"},"findings":[]}"#
        let stored = try await Curl.call(port: port, "PUT", "/v1/results/result:1.2.3:m1:abc", body: result)
        let again = try await Curl.call(port: port, "PUT", "/v1/results/result:1.2.3:m1:abc", body: result)
        #expect(stored.status == 201 && again.status == 200)
        let other = StoreHarness.bytes(count: 2 * Self.megabyte + 12345, seed: 12)
        let otherKey = "instance:1.2.4:\(SHA256Hex.string(of: other))"
        var offset = 0
        while offset < other.count {
            let end = min(other.count, offset + Self.megabyte / 2)
            let answer = try await Curl.chunk(port: port, key: otherKey, bytes: other, offset: offset, end: end, folder: region.scratch)
            #expect(answer.status == (end == other.count ? 201 : 202))
            offset = end
        }

        let (duplicates, count) = try await region.duplicatesAndCount()
        #expect(duplicates.isEmpty && count == 3)
        #expect(try await region.sql("SELECT sha256 FROM item WHERE key = '\(key)'") == sha)
        #expect(try SHA256Hex.string(ofFileAt: region.staging.path + "/items/" + sha) == sha)
        #expect(try SHA256Hex.string(ofFileAt: region.staging.path + "/items/" + SHA256Hex.string(of: other)) == SHA256Hex.string(of: other))
        // Both replicas answered through the balancer.
        let listed = try await Curl.call(port: port, "GET", "/v1/items")
        #expect(listed.status == 200 && listed.body.contains(otherKey))
        try await region.stop()
    }

    @Test func aReplicaKilledMidChunkLosesNothingAndTheRetryLandsOnce() async throws {
        let region = try await Region.start("pg-kill")
        let port = region.balancer.port
        let mb = Self.megabyte
        let bytes = StoreHarness.bytes(count: 4 * mb, seed: 21)
        let sha = SHA256Hex.string(of: bytes)
        let key = "instance:1.2.5:\(sha)"

        let first = try await Curl.chunk(port: port, key: key, bytes: bytes, offset: 0, end: mb, folder: region.scratch)
        #expect(first.status == 202)
        // The second chunk crawls (about 10 s); whichever replica HAProxy gave it is killed
        // while it holds the part file open and the row locked.
        let scratch = region.scratch
        let torn = Task { try await Curl.chunk(port: port, key: key, bytes: bytes, offset: mb, end: 2 * mb, folder: scratch, limitRate: "50k") }
        let uploads = region.staging.path + "/uploads"
        let killed = try #require(try await Self.replicaStreaming(region.replicas, into: uploads, within: .seconds(15)))
        try await Task.sleep(for: .milliseconds(500)) // some of the chunk is on disk, uncommitted
        await killed.kill()
        let killedAt = ContinuousClock.now
        let cut = try await torn.value
        #expect(cut.status != 202 && cut.status != 201)

        // Nothing acknowledged was lost, nothing unacknowledged counts: the region holds 1 MiB.
        let resume = try await Curl.call(port: port, "HEAD", "/v1/instances/\(key)")
        #expect(resume.headers["upload-offset"] == "\(mb)")
        // The box retries through HAProxy, which now sends everything to the survivor.
        let retried = try await Curl.chunk(port: port, key: key, bytes: bytes, offset: mb, end: 2 * mb, folder: region.scratch)
        #expect(retried.status == 202 && retried.headers["upload-offset"] == "\(2 * mb)")
        print("replica kill: cut chunk answered \(cut.status); retried chunk held \(ContinuousClock.now - killedAt) after the kill")
        // The dead replica comes back and takes its share of the rest.
        try await killed.start()
        for start in stride(from: 2 * mb, to: 4 * mb, by: mb) {
            let answer = try await Curl.chunk(port: port, key: key, bytes: bytes, offset: start, end: start + mb, folder: region.scratch)
            #expect(answer.status == (start + mb == 4 * mb ? 201 : 202))
        }
        // And the last chunk once more (its answer "lost"): held, not stored again.
        let again = try await Curl.chunk(port: port, key: key, bytes: bytes, offset: 3 * mb, end: 4 * mb, folder: region.scratch)
        #expect(again.status == 200)

        let (duplicates, count) = try await region.duplicatesAndCount()
        #expect(duplicates.isEmpty && count == 1)
        #expect(try await region.sql("SELECT sha256, size FROM item WHERE key = '\(key)'") == "\(sha)|\(4 * mb)")
        #expect(try SHA256Hex.string(ofFileAt: region.staging.path + "/items/" + sha) == sha)
        #expect(try await region.sql("SELECT count(*), sum(length) FROM upload_part") == "4|\(4 * mb)")
        // No transaction of the dead replica lingers.
        #expect(try await region.sql("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'") == "0")
        try await region.stop()
    }

    @Test func twoReplicasNeverInterleaveOneUpload() async throws {
        let region = try await Region.start("pg-lock")
        let (a, b) = (region.replicas[0].port, region.replicas[1].port)
        let mb = Self.megabyte
        let bytes = StoreHarness.bytes(count: 2 * mb, seed: 31)
        let sha = SHA256Hex.string(of: bytes)
        let key = "instance:1.2.6:\(sha)"
        // The same first chunk to both replicas at once (a box that timed out and retried
        // elsewhere): A streams slowly and holds the row; B waits for it, then hears 409 with
        // the offset A committed.
        let scratch = region.scratch
        let slow = Task { try await Curl.chunk(port: a, key: key, bytes: bytes, offset: 0, end: mb, folder: scratch, limitRate: "200k") }
        _ = try #require(try await Self.replicaStreaming([region.replicas[0]], into: region.staging.path + "/uploads", within: .seconds(15)))
        let sent = ContinuousClock.now
        let fast = try await Curl.chunk(port: b, key: key, bytes: bytes, offset: 0, end: mb, folder: region.scratch)
        let waited = ContinuousClock.now - sent
        let slowAnswer = try await slow.value
        #expect(slowAnswer.status == 202 && slowAnswer.headers["upload-offset"] == "\(mb)")
        #expect(fast.status == 409 && fast.headers["upload-offset"] == "\(mb)")
        // B's request reached it while A streamed (about 5 s at 200 KB/s): it was answered only
        // once A committed, so it waited on the row rather than writing beside A.
        #expect(waited > .seconds(1))
        print("row lock: the second replica's chunk waited \(waited) for the first's commit")
        let last = try await Curl.chunk(port: b, key: key, bytes: bytes, offset: mb, end: 2 * mb, folder: region.scratch)
        #expect(last.status == 201)
        #expect(try SHA256Hex.string(ofFileAt: region.staging.path + "/items/" + sha) == sha)
        #expect(try await region.sql("SELECT count(*) FROM upload_part") == "2")
        try await region.stop()
    }

    @Test func aStalledChunkFreesItsUploadForAnotherReplica() async throws {
        let region = try await Region.start("pg-stall", replicaArguments: ["--idle-timeout", "2"])
        let (a, b) = (region.replicas[0].port, region.replicas[1].port)
        let bytes = StoreHarness.bytes(count: 512 * 1024, seed: 41)
        let sha = SHA256Hex.string(of: bytes)
        let key = "instance:1.2.7:\(sha)"
        // A box whose link dies mid-chunk without a FIN: headers and 10 kB, then nothing.
        let socket = try #require(LoopbackPort.connect(a))
        defer { close(socket) }
        let head = "PUT /v1/instances/\(key) HTTP/1.1\r\nHost: 127.0.0.1\r\nFluorobox-Device: box-a\r\n"
            + "Upload-Offset: 0\r\nUpload-Length: \(bytes.count)\r\nContent-SHA256: \(sha)\r\nContent-Length: \(bytes.count)\r\n\r\n"
        let start = Array(head.utf8) + bytes[..<10_000]
        #expect(start.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) } == start.count)
        _ = try #require(try await Self.replicaStreaming([region.replicas[0]], into: region.staging.path + "/uploads", within: .seconds(15)))
        // The box retries on another replica: A closes the stalled connection after its idle
        // timeout (2 s here), its transaction rolls back, and B gets the row long before the
        // 30 s lock timeout.
        let sent = ContinuousClock.now
        let answer = try await Curl.chunk(port: b, key: key, bytes: bytes, offset: 0, end: bytes.count, folder: region.scratch)
        let waited = ContinuousClock.now - sent
        #expect(answer.status == 201)
        #expect(waited < .seconds(15))
        print("stalled chunk: the other replica took the upload over after \(waited)")
        #expect(try SHA256Hex.string(ofFileAt: region.staging.path + "/items/" + sha) == sha)
        try await region.stop()
    }

    @Test("GET /v1/health is 503 with the problem while PostgreSQL is down, so HAProxy takes the replicas out, and 204 once it is back")
    func healthFollowsTheDatabase() async throws {
        let region = try await Region.start("pg-health")
        for replica in region.replicas {
            #expect(try await Curl.call(port: replica.port, "GET", "/v1/health").status == 204)
        }
        try await region.server.stop()
        for replica in region.replicas {
            let sent = ContinuousClock.now
            let down = try await Curl.call(port: replica.port, "GET", "/v1/health", maxTime: 30)
            let waited = ContinuousClock.now - sent
            #expect(down.status == 503, "\(down.status) \(down.body)")
            #expect(down.headers["content-type"] == "application/json")
            #expect(down.body.contains("the hub's database cannot be reached"), "\(down.body)")
            #expect(waited < .seconds(12), "answered after \(waited)")
        }
        // HAProxy's checks took both replicas out of its pool: the answer is its own, no replica's.
        let balanced = try await Curl.call(port: region.balancer.port, "GET", "/v1/health", maxTime: 30)
        #expect(balanced.status == 503 && !balanced.body.contains("cannot be reached"), "\(balanced.status) \(balanced.body)")
        try await region.server.restart()
        for replica in region.replicas {
            var status = 0
            let deadline = ContinuousClock.now + .seconds(30)
            while status != 204, ContinuousClock.now < deadline {
                status = try await Curl.call(port: replica.port, "GET", "/v1/health", maxTime: 30).status
                if status != 204 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(status == 204, "replica on \(replica.port) after PostgreSQL came back")
        }
        try await region.stop()
    }

    @Test func aDatabaseOutageAcceptsNothingAndServiceResumesAfterIt() async throws {
        let region = try await Region.start("pg-restart")
        let port = region.balancer.port
        let body = #"{"schemaVersion":1,"model":{"id":"m1","version":"1"},"findings":[]}"#
        #expect(try await Curl.call(port: port, "PUT", "/v1/results/result:a", body: body).status == 201)
        let pids = region.replicas.map(\.pid)
        try await region.server.stop()
        // No database: each replica answers 503 within its wait for a connection (not after
        // postgres-nio's pool gave up a minute later, nor 500), so the box retries soon; never
        // 2xx (not stored) nor 4xx (the box would reject its item).
        for (index, request) in [("PUT", "/v1/results/result:b"), ("HEAD", "/v1/instances/instance:1.2.3:abc"), ("PUT", "/v1/results/result:b")].enumerated() {
            let sent = ContinuousClock.now
            let down = try await Curl.call(port: port, request.0, request.1, body: request.0 == "PUT" ? body : nil, maxTime: 30)
            let waited = ContinuousClock.now - sent
            #expect(down.status == 503, "request \(index) during the outage: \(down.status) \(down.body)")
            #expect(waited < .seconds(12), "request \(index) during the outage was answered after \(waited)")
        }
        #expect(region.replicas.map(\.pid) == pids, "the replicas kept running through the outage")
        try await region.server.restart()
        var status = 0
        let deadline = ContinuousClock.now + .seconds(30)
        // 201, or 200 when the request held through the outage was stored once the database
        // came back: either way held once.
        while status != 201, status != 200, ContinuousClock.now < deadline {
            status = try await Curl.call(port: port, "PUT", "/v1/results/result:b", body: body).status
            if status != 201, status != 200 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(status == 201 || status == 200)
        #expect(region.replicas.map(\.pid) == pids, "the replicas recovered on their own")
        #expect(try await region.sql("SELECT string_agg(key, ',' ORDER BY key) FROM item") == "result:a,result:b")
        try await region.stop()
    }
}
