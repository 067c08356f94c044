import FluoroboxTestSupport
import Foundation
import PlatformHub
import StudyStore
import Testing

/// Heartbeats on the region's store: two `fluorobox-hub serve` replicas over mutual TLS on one
/// PostgreSQL (the enrolment tests' region), curl as the boxes, the operator's commands to read.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .serialized
)
struct HeartbeatTests {
    /// A heartbeat body as a box writes it, by hand: the hub must not need the box's encoder.
    static func body(
        schema: Int = 1, version: String = "0.9.1", platform: Int = 7, platformBytes: Int = 123_456, use: String = "clinical",
        errors: Int = 1, freeDisk: Int = 50_000_000_000, skew: Double = -1.5
    ) -> String {
        let list = (0..<errors).map { #"{"at":"2026-03-01T10:00:\#(String(format: "%02d", 59 - $0))Z","source":"sync-platform","message":"the destination cannot be reached #\#($0)"}"# }
        return """
            {"schema":\(schema),"sentAt":"2026-03-01T10:10:00Z","agentVersion":"\(version)","uptimeSeconds":3600.5,
             "models":[{"task":"chest-pa","id":"chest-triage","version":"2.1.0","use":"\(use)"}],
             "backlog":[{"destination":"platform","count":\(platform),"bytes":\(platformBytes),"oldestAgeSeconds":900},
                        {"destination":"pacs","count":0,"bytes":0}],
             "freeDiskBytes":\(freeDisk),"daysOfCapacity":41.5,"clockSkewSeconds":\(skew),
             "errors":[\(list.joined(separator: ","))]}
            """
    }

    func post(_ region: EnrolmentTests.Region, replica: Int, path device: String, as box: (key: String, certificate: String), body: String) async throws -> EnrolmentKit.Answer {
        try await EnrolmentKit.curl(
            port: region.replicas[replica].port, "POST", "/v1/devices/\(device)/heartbeat", ca: region.ca,
            certificate: box.certificate, key: box.key, json: body
        )
    }

    func enrolled(_ region: EnrolmentTests.Region, _ device: String, replica: Int) async throws -> (key: String, certificate: String) {
        let box = try await region.box(device)
        let answer = try await region.enrol(replica: replica, token: try await region.token(), csr: box.csr)
        #expect(answer.status == 201, "\(answer.body)")
        let certificate = box.folder + "/device.crt"
        try EnrolmentKit.keepCertificate(answer, at: certificate)
        return (box.key, certificate)
    }

    @Test("heartbeats of two devices land through two replicas; device list and show print them; another device's path is 403; bad bodies are 400/413 and change nothing")
    func heartbeatsOnTwoReplicas() async throws {
        let region = try await EnrolmentTests.Region.start("pg-heartbeat")
        let first = try await enrolled(region, "box-h1", replica: 0)
        let second = try await enrolled(region, "box-h2", replica: 1)

        let a = try await post(region, replica: 0, path: "box-h1", as: first, body: Self.body(platform: 3))
        #expect(a.status == 200 && a.body.contains("\"serverTime\"") && a.body.contains("box-h1"), "\(a.status) \(a.body)")
        let b = try await post(region, replica: 1, path: "box-h2", as: second, body: Self.body(version: "0.9.0", platform: 0, platformBytes: 0, use: "demonstration", errors: 0))
        #expect(b.status == 200, "\(b.status) \(b.body)")
        // The next heartbeat of box-h1 lands on the other replica and becomes its latest.
        let c = try await post(region, replica: 1, path: "box-h1", as: first, body: Self.body(platform: 7))
        #expect(c.status == 200, "\(c.status) \(c.body)")

        // A device cannot post another's heartbeat: its certificate names it, whatever the path says.
        let forged = try await post(region, replica: 0, path: "box-h2", as: first, body: Self.body(platform: 999))
        #expect(forged.status == 403, "\(forged.status) \(forged.body)")

        let bad: [(String, Int, String)] = [
            (Self.body(schema: 2), 400, "schema 2"),
            ("not json", 400, "schema"),
            (#"{"schema":1,"agentVersion":"1"}"#, 400, "sentAt"),
            (Self.body(platform: -1), 400, "destination platform has -1 items"),
            (Self.body(use: "research"), 400, "clinical or demonstration"),
            (Self.body(errors: 11), 400, "11 errors"),
            (Self.body(freeDisk: -5), 400, "freeDiskBytes"),
            (Self.body(version: String(repeating: "9", count: 70_000)), 413, "at most 65536 bytes"),
        ]
        for (body, status, reason) in bad {
            let answer = try await post(region, replica: 0, path: "box-h1", as: first, body: body)
            #expect(answer.status == status && answer.body.contains(reason), "\(body.prefix(60)): \(answer.status) \(answer.body)")
        }
        #expect(try await region.sql("SELECT count(*) FROM device_heartbeat") == "3")
        #expect(try await region.sql("SELECT device || ':' || (body->'backlog'->0->>'count') FROM device_last_heartbeat ORDER BY device") == "box-h1:7\nbox-h2:0")

        let shown = try await EnrolmentKit.hub(HubReplica.binary, ["device", "show", "box-h1", "--database", region.database, "--json"])
        let heartbeats = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [[String: Any]])
        #expect(heartbeats.count == 2)
        let counts = heartbeats.compactMap { (($0["heartbeat"] as? [String: Any])?["backlog"] as? [[String: Any]])?.first?["count"] as? Int }
        #expect(counts == [7, 3], "\(shown)")

        let text = try await EnrolmentKit.hub(HubReplica.binary, ["device", "show", "box-h1", "--database", region.database])
        for expected in ["agent 0.9.1", "chest-pa\tchest-triage@2.1.0\tclinical", "platform\t7 items\t123.5 KB\toldest 15 min", "clock skew -1.5 s", "41.5 days", "sync-platform\tthe destination cannot be reached #0", "earlier heartbeats (1)"] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        let listed = try await EnrolmentKit.hub(HubReplica.binary, ["device", "list", "--database", region.database])
        let lines = listed.split(separator: "\n").map(String.init)
        let h1 = try #require(lines.first { $0.hasPrefix("box-h1\tenrolled") }, "\(listed)")
        for expected in ["agent 0.9.1", "models chest-pa=chest-triage@2.1.0", "backlog 7 items 123.5 KB oldest 15 min", "disk 50.0 GB free, 42 days", "skew -1.5 s", "last error sync-platform: the destination cannot be reached #0"] {
            #expect(h1.contains(expected), "\(expected) in \(h1)")
        }
        let h2 = try #require(lines.first { $0.hasPrefix("box-h2\tenrolled") }, "\(listed)")
        #expect(h2.contains("agent 0.9.0") && h2.contains("(demo)") && h2.contains("backlog 0 items") && h2.contains("last error none"), "\(h2)")
        try await region.stop()
    }

    @Test("the hub keeps a bounded history per device, the newest")
    func historyIsBounded() async throws {
        let server = try await PostgresServer.start("pg-heartbeat-history")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let keep = HubHeartbeat.historyPerDevice
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            for index in 0..<(keep + 5) {
                let heartbeat = try DeviceHeartbeat.parse(Array(Self.body(platform: index).utf8))
                try await stores[index % 2].recordHeartbeat(device: "box-b", serial: nil, heartbeat: heartbeat, document: heartbeat.encoded())
            }
            let other = try DeviceHeartbeat.parse(Array(Self.body(platform: 1).utf8))
            try await stores[0].recordHeartbeat(device: "box-c", serial: nil, heartbeat: other, document: other.encoded())
            let kept = try await stores[1].heartbeats(device: "box-b", limit: keep + 10)
            #expect(kept.count == keep)
            #expect(kept.first?.heartbeat.backlogCount == keep + 4)
            #expect(kept.last?.heartbeat.backlogCount == 5)
            let latest = try await stores[0].latestHeartbeats()
            #expect(latest["box-b"]?.heartbeat.backlogCount == keep + 4 && latest["box-c"]?.heartbeat.backlogCount == 1)
        }
        #expect(try await server.sql("SELECT device, count(*) FROM device_heartbeat GROUP BY device ORDER BY device", database: "hub") == "box-b|\(keep)\nbox-c|1")
        try await server.stop()
    }

    @Test("the single-machine store keeps heartbeats the same way")
    func sqliteStore() async throws {
        let folder = TemporaryDirectory("hub-sqlite-heartbeat")
        let store = try HubStore(directory: folder.path)
        for index in 0..<(HubHeartbeat.historyPerDevice + 2) {
            let heartbeat = try DeviceHeartbeat.parse(Array(Self.body(platform: index).utf8))
            try await store.recordHeartbeat(device: "box-s", serial: nil, heartbeat: heartbeat, document: heartbeat.encoded())
        }
        let kept = try await store.heartbeats(device: "box-s", limit: 1000)
        #expect(kept.count == HubHeartbeat.historyPerDevice && kept.first?.heartbeat.backlogCount == HubHeartbeat.historyPerDevice + 1)
        #expect(try await store.latestHeartbeats()["box-s"]?.heartbeat.models.first?.id == "chest-triage")
        #expect(try await store.devices().first { $0.id == "box-s" }?.version == "0.9.1")
    }
}
