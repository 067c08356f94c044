import FluoroboxTestSupport
import Foundation
import StudyStore
import Testing

/// Enrolment and revocation on the region's store: two `fluorobox-hub serve` replicas over TLS
/// on one PostgreSQL, the operator's commands, openssl as the box's first boot, curl as the box.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .serialized
)
struct EnrolmentTests {
    struct Region {
        let server: PostgresServer
        let folder: TemporaryDirectory
        let staging: TemporaryDirectory
        let database: String
        let pki: String
        let replicas: [HubReplica]

        var ca: String { pki + "/ca.pem" }

        static func start(_ label: String) async throws -> Region {
            let server = try await PostgresServer.start(label)
            let database = try await server.createDatabase("hub")
            let folder = TemporaryDirectory("enrol")
            let pki = try await EnrolmentKit.makeTestPKI(in: folder)
            try await EnrolmentKit.hub(HubReplica.binary, ["ca", "init", "--dir", folder.file("device-ca"), "--name", "Test Region Device CA"])
            let tls = ["--tls-cert", pki + "/hub.pem", "--tls-key", pki + "/hub.key", "--device-ca-dir", folder.file("device-ca")]
            let staging = TemporaryDirectory("enrol-staging")
            let first = try await HubReplica(database: database, staging: staging.path, extra: tls)
            let second = try await HubReplica(database: database, staging: staging.path, extra: tls)
            return Region(server: server, database: database, pki: pki, replicas: [first, second], folderOverride: folder, stagingOverride: staging)
        }

        init(server: PostgresServer, database: String, pki: String, replicas: [HubReplica], folderOverride: TemporaryDirectory, stagingOverride: TemporaryDirectory) {
            self.server = server
            self.database = database
            self.pki = pki
            self.replicas = replicas
            self.folder = folderOverride
            self.staging = stagingOverride
        }

        func stop() async throws {
            for replica in replicas { await replica.stop() }
            try await server.stop()
        }

        func token(_ extra: [String] = []) async throws -> String {
            try await EnrolmentKit.hub(HubReplica.binary, ["enrolment", "create", "--database", database] + extra)
        }

        /// A box's key and CSR for `device` in its own folder.
        func box(_ device: String, _ name: String? = nil) async throws -> (key: String, csr: String, folder: String) {
            let path = folder.file("box-\(name ?? device)")
            let (key, csr) = try await EnrolmentKit.deviceRequest(in: path, device: device)
            return (key, csr, path)
        }

        func enrol(replica: Int, token: String, csr: String) async throws -> EnrolmentKit.Answer {
            try await EnrolmentKit.curl(
                port: replicas[replica].port, "POST", "/v1/enrolment", ca: ca, json: try EnrolmentKit.enrolmentBody(token: token, csrPath: csr)
            )
        }

        func items(replica: Int, certificate: String, key: String) async throws -> EnrolmentKit.Answer {
            try await EnrolmentKit.curl(port: replicas[replica].port, "GET", "/v1/items", ca: ca, certificate: certificate, key: key)
        }

        /// Stores a feedback document under `key`: the request whose credential check travels
        /// in the same statement as its insert.
        func putFeedback(replica: Int, certificate: String, key: String, itemKey: String) async throws -> EnrolmentKit.Answer {
            let feedback = #"{"verdict":"agree","studyInstanceUID":"2.25.1","role":"doctor","recordedAt":"2026-11-23T09:30:00Z"}"#
            return try await EnrolmentKit.curl(
                port: replicas[replica].port, "PUT", "/v1/feedback/\(itemKey)", ca: ca, certificate: certificate, key: key, json: feedback
            )
        }

        /// Posts a heartbeat, also checked in the statement that records it.
        func heartbeat(replica: Int, certificate: String, key: String, device: String) async throws -> EnrolmentKit.Answer {
            let heartbeat = DeviceHeartbeat(
                sentAt: Date(), agentVersion: "fluorobox test", uptimeSeconds: 1, models: [], backlog: [],
                freeDiskBytes: 1 << 30, daysOfCapacity: nil, clockSkewSeconds: nil, errors: []
            )
            return try await EnrolmentKit.curl(
                port: replicas[replica].port, "POST", "/v1/devices/\(device)/heartbeat", ca: ca, certificate: certificate, key: key,
                json: String(decoding: heartbeat.encoded(), as: UTF8.self)
            )
        }

        func sql(_ statement: String) async throws -> String { try await server.sql(statement, database: "hub") }
    }

    @Test("the operator's commands work on a database no replica has served yet, and say nothing but their answer")
    func commandsOnFreshDatabase() async throws {
        let server = try await PostgresServer.start("fresh-commands")
        let database = try await server.createDatabase("hub")
        // An operator prepares tokens before the first replica starts; each command is a new process.
        for arguments in [
            ["enrolment", "create", "--database", database, "--device", "box-1"],
            ["device", "list", "--database", database],
            ["archive", "status", "--database", database],
        ] {
            let result = try await ProcessRunner.run(HubReplica.binary, arguments)
            #expect(result.status == 0, "fluorobox-hub \(arguments[0]) \(arguments[1]): \(result.stderr)")
            let stray = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("one-time token") }
            #expect(stray.isEmpty, "fluorobox-hub \(arguments[0]) \(arguments[1]) logged: \(stray)")
        }
        #expect(try await server.sql("SELECT count(*) FROM enrolment_token", database: "hub") == "1")
        try await server.stop()
    }

    @Test("a token enrols once: reused, expired, unknown and other-device tokens are 403 with the reason; a bad CSR consumes nothing")
    func tokenLifecycle() async throws {
        let region = try await Region.start("pg-enrol-tokens")
        let boxOne = try await region.box("box-1")
        let bound = try await region.token(["--device", "box-1"])
        #expect(bound.hasPrefix("fbx-enrol-"))
        #expect(try await region.sql("SELECT count(*) FROM enrolment_token WHERE token_sha256 = '\(bound)'") == "0", "the secret itself was stored")

        // Another device's CSR with the token bound to box-1: refused, and the token survives.
        let boxTwo = try await region.box("box-2")
        let wrongDevice = try await region.enrol(replica: 0, token: bound, csr: boxTwo.csr)
        #expect(wrongDevice.status == 403 && wrongDevice.body.contains("is for device box-1"), "\(wrongDevice.status) \(wrongDevice.body)")
        // A CSR not signed by the key it carries: 400, the token survives.
        let pem = try String(contentsOfFile: boxOne.csr, encoding: .utf8)
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var der = [UInt8](Data(base64Encoded: base64)!)
        der[der.count - 3] ^= 0x01 // inside the signature's s
        let forgedPEM = "-----BEGIN CERTIFICATE REQUEST-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters)
            + "\n-----END CERTIFICATE REQUEST-----\n"
        let forgedPath = region.folder.file("forged.csr")
        try forgedPEM.write(toFile: forgedPath, atomically: true, encoding: .utf8)
        let forgedAnswer = try await region.enrol(replica: 1, token: bound, csr: forgedPath)
        #expect(forgedAnswer.status == 400, "\(forgedAnswer.status) \(forgedAnswer.body)")

        let first = try await region.enrol(replica: 0, token: bound, csr: boxOne.csr)
        #expect(first.status == 201, "\(first.status) \(first.body)")
        let certificate = boxOne.folder + "/device.crt"
        try EnrolmentKit.keepCertificate(first, at: certificate)
        let described = try await EnrolmentKit.describe(certificate: certificate)
        #expect(described.contains("CN = box-1") || described.contains("CN=box-1"), "\(described)")
        #expect(described.contains("TLS Web Client Authentication"), "\(described)")

        let again = try await region.enrol(replica: 1, token: bound, csr: boxOne.csr)
        #expect(again.status == 403 && again.body.contains("already used"), "\(again.status) \(again.body)")
        let unknown = try await region.enrol(replica: 1, token: "fbx-enrol-0000", csr: boxOne.csr)
        #expect(unknown.status == 403 && unknown.body.contains("unknown enrolment token"), "\(unknown.status) \(unknown.body)")
        let expiring = try await region.token(["--valid-hours", "0.0003"]) // about a second
        try await Task.sleep(for: .seconds(3))
        let expired = try await region.enrol(replica: 0, token: expiring, csr: boxTwo.csr)
        #expect(expired.status == 403 && expired.body.contains("expired"), "\(expired.status) \(expired.body)")

        // The certificate works over mutual TLS; without one a device route is refused.
        let held = try await region.items(replica: 1, certificate: certificate, key: boxOne.key)
        #expect(held.status == 200, "\(held.status) \(held.body)")
        let anonymous = try await EnrolmentKit.curl(port: region.replicas[0].port, "GET", "/v1/items", ca: region.ca)
        #expect(anonymous.status == 403, "\(anonymous.status) \(anonymous.body)")
        try await region.stop()
    }

    @Test("ten refused enrolments from one address: the next is 429 with Retry-After and checks nothing; per replica; a success clears the count")
    func refusedEnrolmentsAreHeldBack() async throws {
        let region = try await Region.start("pg-enrol-throttle")
        let box = try await region.box("box-t")
        let token = try await region.token(["--device", "box-t"])
        for attempt in 1...10 {
            let refused = try await region.enrol(replica: 0, token: "fbx-enrol-guess-\(attempt)", csr: box.csr)
            #expect(refused.status == 403, "attempt \(attempt): \(refused.status) \(refused.body)")
        }
        // The eleventh, even with the right token, is held back unchecked: the token survives.
        let body = try EnrolmentKit.enrolmentBody(token: token, csrPath: box.csr)
        let headers = try await ProcessRunner.run("/usr/bin/curl", [
            "-sS", "--max-time", "60", "-o", "/dev/null", "-D", "-", "--cacert", region.ca, "-H", "Expect:",
            "-H", "Content-Type: application/json", "--data-binary", body, "https://127.0.0.1:\(region.replicas[0].port)/v1/enrolment",
        ]).stdout.lowercased()
        #expect(headers.hasPrefix("http/1.1 429"), "\(headers)")
        let retryAfter = headers.split(separator: "\r\n").first { $0.hasPrefix("retry-after:") }
            .flatMap { Int($0.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces)) }
        #expect(retryAfter.map { (1...2).contains($0) } == true, "Retry-After after the first delay of 2 s: \(headers)")
        let held = try await region.enrol(replica: 0, token: token, csr: box.csr)
        #expect(held.status == 429 && held.body.contains("nothing was checked"), "\(held.status) \(held.body)")
        #expect(try await region.sql("SELECT count(*) FROM enrolment_token WHERE used_by_device IS NOT NULL") == "0", "a held-back enrolment used its token")
        // The other replica counts its own.
        let elsewhere = try await region.enrol(replica: 1, token: "fbx-enrol-guess-other", csr: box.csr)
        #expect(elsewhere.status == 403, "\(elsewhere.status) \(elsewhere.body)")
        // After the wait one attempt is admitted; it succeeds, and the address starts afresh.
        try await Task.sleep(for: .seconds(2.5))
        let enrolled = try await region.enrol(replica: 0, token: token, csr: box.csr)
        #expect(enrolled.status == 201, "\(enrolled.status) \(enrolled.body)")
        let afresh = try await region.enrol(replica: 0, token: "fbx-enrol-guess-after", csr: box.csr)
        #expect(afresh.status == 403, "after a success the count starts again: \(afresh.status) \(afresh.body)")
        try await region.stop()
    }

    @Test("one token used at once on two replicas: exactly one certificate")
    func concurrentUseOnTwoReplicas() async throws {
        let region = try await Region.start("pg-enrol-race")
        for round in 0..<5 {
            let token = try await region.token()
            let a = try await region.box("box-race-\(round)", "race-\(round)-a")
            let b = try await region.box("box-race-\(round)", "race-\(round)-b")
            async let left = region.enrol(replica: 0, token: token, csr: a.csr)
            async let right = region.enrol(replica: 1, token: token, csr: b.csr)
            let statuses = try await [left.status, right.status].sorted()
            #expect(statuses == [201, 403], "round \(round): \(statuses)")
            let issued = try await region.sql("""
                SELECT count(*) FROM device_certificate c JOIN enrolment_token t ON t.token_sha256 = c.token_sha256
                WHERE t.used_by_device = 'box-race-\(round)'
                """)
            #expect(issued == "1", "round \(round): \(issued) certificates")
        }
        try await region.stop()
    }

    @Test("revoked on replica A, refused at once on replica B; a replaced certificate is refused; re-enrolment needs a token for the device")
    func revocationHoldsOnEveryReplica() async throws {
        let region = try await Region.start("pg-enrol-revoke")
        let box = try await region.box("box-r")
        let first = try await region.enrol(replica: 0, token: try await region.token(), csr: box.csr)
        #expect(first.status == 201, "\(first.body)")
        let certificate = box.folder + "/device.crt"
        try EnrolmentKit.keepCertificate(first, at: certificate)
        // Both replicas have answered this device before the revocation: nothing they hold may lag.
        for replica in 0..<2 {
            let before = try await region.items(replica: replica, certificate: certificate, key: box.key)
            #expect(before.status == 200, "replica \(replica): \(before.status) \(before.body)")
        }
        let revoked = try await EnrolmentKit.hub(
            HubReplica.binary, ["device", "revoke", "box-r", "--database", region.database, "--reason", "stolen from the van", "--by", "cli:van-crew"]
        )
        #expect(revoked.contains("revoked"))
        let again = try await EnrolmentKit.hub(HubReplica.binary, ["device", "revoke", "box-r", "--database", region.database, "--reason", "again"])
        #expect(again.contains("already revoked"), "\(again)")
        // Each revocation is audited in its own transaction, the repeated one saying so.
        let audited = try await region.sql("""
            SELECT string_agg(actor || '|' || subject || '|' || detail, ';' ORDER BY id) FROM console_audit WHERE action = 'device.revoke'
            """)
        #expect(audited.hasPrefix("cli:van-crew|box-r|stolen from the van;cli:") && audited.hasSuffix("|box-r|already revoked; again"), "\(audited)")
        for replica in [1, 0] {
            let after = try await region.items(replica: replica, certificate: certificate, key: box.key)
            #expect(after.status == 403 && after.body.contains("revoked") && after.body.contains("stolen from the van"), "replica \(replica): \(after.status) \(after.body)")
            let write = try await region.putFeedback(replica: replica, certificate: certificate, key: box.key, itemKey: "feedback:revoked-\(replica)")
            #expect(write.status == 403 && write.body.contains("stolen from the van"), "replica \(replica): \(write.status) \(write.body)")
            let heartbeat = try await region.heartbeat(replica: replica, certificate: certificate, key: box.key, device: "box-r")
            #expect(heartbeat.status == 403 && heartbeat.body.contains("stolen from the van"), "replica \(replica): \(heartbeat.status) \(heartbeat.body)")
        }
        #expect(try await region.sql("SELECT count(*) FROM item WHERE device = 'box-r'") == "0")
        #expect(try await region.sql("SELECT count(*) FROM device_heartbeat WHERE device = 'box-r'") == "0")
        let listed = try await EnrolmentKit.hub(HubReplica.binary, ["device", "list", "--database", region.database])
        #expect(listed.contains("box-r\trevoked"), "\(listed)")

        // An unbound token cannot bring a revoked device back; one made for it can, and the old
        // certificate stays refused because it is no longer the device's current one.
        let unbound = try await region.enrol(replica: 1, token: try await region.token(), csr: box.csr)
        #expect(unbound.status == 403 && unbound.body.contains("revoked"), "\(unbound.status) \(unbound.body)")
        let renewed = try await region.enrol(replica: 1, token: try await region.token(["--device", "box-r"]), csr: box.csr)
        #expect(renewed.status == 201, "\(renewed.body)")
        let newCertificate = box.folder + "/device-2.crt"
        try EnrolmentKit.keepCertificate(renewed, at: newCertificate)
        let old = try await region.items(replica: 0, certificate: certificate, key: box.key)
        #expect(old.status == 403 && old.body.contains("not device box-r's current certificate"), "\(old.status) \(old.body)")
        let oldWrite = try await region.putFeedback(replica: 1, certificate: certificate, key: box.key, itemKey: "feedback:old")
        #expect(oldWrite.status == 403 && oldWrite.body.contains("not device box-r's current certificate"), "\(oldWrite.status) \(oldWrite.body)")
        let current = try await region.items(replica: 0, certificate: newCertificate, key: box.key)
        #expect(current.status == 200, "\(current.status) \(current.body)")
        let currentWrite = try await region.putFeedback(replica: 1, certificate: newCertificate, key: box.key, itemKey: "feedback:current")
        #expect(currentWrite.status == 201, "\(currentWrite.status) \(currentWrite.body)")
        let stored = try await region.sql("SELECT string_agg(key, ',') FROM item WHERE device = 'box-r'")
        #expect(stored == "feedback:current", "\(stored)")
        let oldHeartbeat = try await region.heartbeat(replica: 0, certificate: certificate, key: box.key, device: "box-r")
        #expect(oldHeartbeat.status == 403 && oldHeartbeat.body.contains("not device box-r's current certificate"), "\(oldHeartbeat.status) \(oldHeartbeat.body)")
        let currentHeartbeat = try await region.heartbeat(replica: 0, certificate: newCertificate, key: box.key, device: "box-r")
        #expect(currentHeartbeat.status == 200, "\(currentHeartbeat.status) \(currentHeartbeat.body)")
        #expect(try await region.sql("SELECT count(*) FROM device_heartbeat WHERE device = 'box-r'") == "1")
        // The three tokens made on the command line, each audited as it was kept.
        let tokens = try await region.sql("""
            SELECT count(*) FROM console_audit WHERE action = 'enrolment.create' AND actor LIKE 'cli:%' AND detail LIKE 'valid until %'
            """)
        #expect(tokens == "3", "\(tokens) audited tokens")
        try await region.stop()
    }
}
