import BrowserAccess
import BrowserTesting
import FluoroboxTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import PlatformHub
import StudyStore
import Testing

/// The operator's console on a real PostgreSQL: roles, CSRF, the login throttle, the audit, and
/// the device list that puts what needs a person first.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .serialized
)
struct ConsoleTests {
    static let passwords = ["root": "admin-password-1", "ops": "operator-password-2", "eye": "viewer-password-3"]

    /// A PostgreSQL with the hub's schema, three accounts (admin `root`, operator `ops`, viewer
    /// `eye`), and the console's router over it.
    static func withConsole(
        _ label: String, settings: HubConsole.Settings = quickSettings,
        _ body: @escaping @Sendable (PostgresServer, PostgresHubStore, any TestClientProtocol) async throws -> Void
    ) async throws {
        let server = try await PostgresServer.start(label)
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("console-staging")
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            let store = stores[0]
            for (name, role) in [("root", OperatorRole.admin), ("ops", .operator), ("eye", .viewer)] {
                let account = ConsoleOperator(name: name, role: role, passwordHash: try PasswordHash.make(password: passwords[name]!))
                try await store.addOperator(account, audit: ConsoleAuditEntry(actor: "test", action: ConsoleAuditEntry.Action.operatorAdded, subject: name))
            }
            let console = HubConsole(store: store, settings: settings, logger: quietLogger)
            try await Application(router: console.makeRouter()).test(.router) { client in
                try await body(server, store, client)
            }
        }
        try await server.stop()
    }

    static var quickSettings: HubConsole.Settings {
        var settings = HubConsole.Settings()
        settings.port = 0
        settings.lockoutAttempts = 3
        // Long enough that a loaded machine's next attempt still falls inside the wait.
        settings.loginFirstDelaySeconds = 60
        return settings
    }

    @Test("a viewer sees but cannot change; an operator makes tokens and revokes; only an admin manages accounts; every change is audited")
    func roles() async throws {
        try await Self.withConsole("pg-console-roles") { server, store, client in
            try await store.recordHello(device: "box-1", version: "1.0.0")
            var viewer = Browser(client)
            #expect(try await viewer.logIn("eye", password: Self.passwords["eye"]!).status == .seeOther)
            #expect(try await viewer.get("/devices").status == .ok)
            #expect(String(buffer: try await viewer.get("/enrolment").body).contains("id=\"viewer-note\""))
            #expect(try await viewer.submit("/enrolment", ["hours": "24"]).status == .forbidden)
            #expect(try await viewer.submit("/devices/box-1/revoke", ["reason": "viewer"]).status == .forbidden)
            #expect(try await viewer.get("/operators").status == .forbidden)
            #expect(try await server.sql("SELECT count(*) FROM enrolment_token", database: "hub") == "0")

            var operatorBrowser = Browser(client)
            #expect(try await operatorBrowser.logIn("ops", password: Self.passwords["ops"]!).status == .seeOther)
            let made = try await operatorBrowser.submit("/enrolment", ["hours": "24", "device": "box-9"])
            #expect(made.status == .ok)
            let page = String(buffer: made.body)
            let secret = try #require(page.range(of: "id=\"enrolment-secret\">").map { page[$0.upperBound...].prefix { $0 != "<" } })
            #expect(secret.hasPrefix("fbx-enrol-"))
            #expect(try await server.sql("SELECT device, created_by FROM enrolment_token WHERE token_sha256 = '\(EnrolmentToken.digest(of: String(secret)))'", database: "hub") == "box-9|ops")
            #expect(try await operatorBrowser.submit("/devices/box-1/revoke", ["reason": "stolen van"]).status == .seeOther)
            #expect(try await store.devices().first { $0.id == "box-1" }?.revokedReason == "stolen van")
            #expect(try await operatorBrowser.get("/operators").status == .forbidden)
            #expect(try await operatorBrowser.submit("/operators", ["name": "mallory", "role": "admin", "password": "mallory-password"]).status == .forbidden)

            var admin = Browser(client)
            #expect(try await admin.logIn("root", password: Self.passwords["root"]!).status == .seeOther)
            #expect(try await admin.submit("/operators", ["name": "newbie", "role": "viewer", "password": "newbie-password-4"]).status == .ok)
            #expect(try await admin.submit("/operators/newbie/role", ["role": "operator"]).status == .seeOther)
            #expect(try await store.consoleOperator(name: "newbie")?.role == .operator)
            #expect(try await admin.submit("/operators/newbie/remove", [:]).status == .seeOther)
            // The console keeps an admin: the only one can neither leave nor step down.
            #expect(try await admin.submit("/operators/root/role", ["role": "viewer"]).status == .conflict)
            #expect(try await admin.submit("/operators/root/remove", [:]).status == .conflict)
            #expect(try await store.consoleOperator(name: "root")?.role == .admin)

            let audit = try await server.sql("SELECT actor, action, subject FROM console_audit WHERE actor <> 'test' ORDER BY id", database: "hub")
            #expect(audit.split(separator: "\n").map(String.init) == [
                "eye|login|eye", "ops|login|ops", "ops|enrolment.create|box-9", "ops|device.revoke|box-1", "root|login|root",
                "root|operator.add|newbie", "root|operator.set-role|newbie", "root|operator.remove|newbie",
            ], "\(audit)")
            #expect(String(buffer: try await viewer.get("/audit").body).contains("stolen van"))
        }
    }

    @Test("a POST without the session's CSRF token, or with another one, changes nothing")
    func csrf() async throws {
        try await Self.withConsole("pg-console-csrf") { server, _, client in
            var browser = Browser(client)
            #expect(try await browser.logIn("ops", password: Self.passwords["ops"]!).status == .seeOther)
            #expect(try await browser.post("/enrolment", ["hours": "24"]).status == .forbidden)
            #expect(try await browser.post("/enrolment", ["hours": "24", "csrf": RandomToken.make()]).status == .forbidden)
            var other = Browser(client)
            _ = try await other.logIn("root", password: Self.passwords["root"]!)
            #expect(try await browser.post("/enrolment", ["hours": "24", "csrf": try await other.csrfToken()]).status == .forbidden)
            #expect(try await server.sql("SELECT count(*) FROM enrolment_token", database: "hub") == "0")
            #expect(try await browser.submit("/enrolment", ["hours": "24"]).status == .ok)
            #expect(try await server.sql("SELECT count(*) FROM enrolment_token", database: "hub") == "1")

            // The login form is guarded too: without its cookie's token it is refused unchecked.
            var stranger = Browser(client)
            #expect(try await stranger.post("/login", ["name": "root", "password": Self.passwords["root"]!, "csrf": RandomToken.make()]).status == .forbidden)
            #expect(stranger.cookies["fluorobox_console_session"] == nil)
        }
    }

    @Test("wrong passwords from one address wait; an unknown name costs the same; a removed account's session ends")
    func throttleAndSessions() async throws {
        try await Self.withConsole("pg-console-throttle") { _, _, client in
            var admin = Browser(client)
            #expect(try await admin.logIn("root", password: Self.passwords["root"]!).status == .seeOther)
            var viewer = Browser(client)
            #expect(try await viewer.logIn("eye", password: Self.passwords["eye"]!).status == .seeOther)
            #expect(try await viewer.get("/devices").status == .ok)
            #expect(try await admin.submit("/operators/eye/remove", [:]).status == .seeOther)
            let after = try await viewer.get("/devices")
            #expect(after.status == .seeOther && after.headers[.location]?.hasPrefix("/login") == true)

            var attacker = Browser(client)
            let unknown = try await attacker.logIn("nobody", password: "whatever-password")
            #expect(unknown.status == .unauthorized && String(buffer: unknown.body).contains("Wrong name or password."))
            #expect(try await attacker.logIn("ops", password: "wrong-1").status == .unauthorized)
            #expect(try await attacker.logIn("ops", password: "wrong-2").status == .unauthorized)
            // Three failures: even the right password now waits.
            let held = try await attacker.logIn("ops", password: Self.passwords["ops"]!)
            #expect(held.status == .tooManyRequests)
            #expect(Int(held.headers[.retryAfter] ?? "") ?? 0 >= 30)
            #expect(attacker.cookies["fluorobox_console_session"] == nil)
        }
    }

    @Test("cookies are HttpOnly and SameSite=Strict, and Secure when the console serves HTTPS")
    func cookieAttributes() async throws {
        var settings = Self.quickSettings
        settings.tlsCertificatePath = "/nonexistent/cert.pem"
        settings.tlsKeyPath = "/nonexistent/key.pem"
        try await Self.withConsole("pg-console-cookies", settings: settings) { _, _, client in
            var browser = Browser(client)
            let login = try await browser.logIn("eye", password: Self.passwords["eye"]!)
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("fluorobox_console_session=") })
            for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
                #expect(cookie.contains(attribute), "session cookie lacks \(attribute): \(cookie)")
            }
        }
    }

    /// A heartbeat as a box sends it, with what the device list sorts by.
    static func heartbeat(backlogAge: Double? = 600, daysOfCapacity: Double? = 40, skew: Double? = 0.4, error: String? = nil) -> DeviceHeartbeat {
        DeviceHeartbeat(
            sentAt: Date(), agentVersion: "1.4.2", uptimeSeconds: 7200,
            models: [.init(task: "chest-pa", id: "chest-triage", version: "2.1.0", use: "clinical")],
            backlog: [.init(destination: "platform", count: backlogAge == nil ? 0 : 12, bytes: 4_500_000, oldestAgeSeconds: backlogAge)],
            freeDiskBytes: 120_000_000_000, daysOfCapacity: daysOfCapacity, clockSkewSeconds: skew,
            errors: error.map { [.init(at: Date(), source: "sync-platform", message: $0)] } ?? []
        )
    }

    @Test("the device list puts what needs a person first, with the reason; 2,000 devices render in server time printed")
    func deviceList() async throws {
        try await Self.withConsole("pg-console-devices") { server, store, client in
            let cases: [(String, DeviceHeartbeat)] = [
                ("box-clock", Self.heartbeat(skew: -900)),
                ("box-disk", Self.heartbeat(daysOfCapacity: 2.5)),
                ("box-backlog", Self.heartbeat(backlogAge: 5 * 86_400, error: "the platform cannot be reached")),
                ("box-silent", Self.heartbeat()),
                ("box-fine", Self.heartbeat()),
            ]
            for (device, beat) in cases {
                try await store.recordHeartbeat(device: device, serial: nil, heartbeat: beat, document: beat.encoded())
            }
            let later = Self.heartbeat(backlogAge: 6 * 86_400, error: "the platform cannot be reached")
            try await store.recordHeartbeat(device: "box-backlog", serial: nil, heartbeat: later, document: later.encoded())
            _ = try await server.sql("UPDATE device SET last_seen_at = now() - interval '3 days' WHERE id = 'box-silent'", database: "hub")
            try await store.setInstitution(DeviceInstitution(region: "Tver", name: "CRH No. 2", taxID: nil, oid: "1.2.643.5.1.13.13.12.1"), device: "box-disk")

            var browser = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await browser.logIn("eye", password: Self.passwords["eye"]!)
            let page = String(buffer: try await browser.get("/devices").body)
            let order = ["box-silent", "box-backlog", "box-disk", "box-clock", "box-fine"].map { device in
                page.range(of: "id=\"device-\(device)\"").map { page.distance(from: page.startIndex, to: $0.lowerBound) } ?? -1
            }
            #expect(!order.contains(-1) && order == order.sorted(), "\(order)")
            for reason in ["нет связи 3 д", "очередь в platform ждёт 6 д", "диск почти заполнен: 2.5", "часы расходятся на -900 s", "Tver"] {
                #expect(page.contains(reason), "\(reason) missing")
            }
            #expect(page.contains("id=\"attention-count\">4<"))
            let device = String(buffer: try await browser.get("/devices/box-backlog").body)
            #expect(device.contains("the platform cannot be reached") && device.contains("id=\"history\""))
            #expect(device.components(separatedBy: "<tr><td>").count - 1 == 2, "two heartbeats in the history")

            // 2,000 more, written as the hub writes them (device row and latest heartbeat).
            let json = String(decoding: Self.heartbeat(backlogAge: 3600).encoded(), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
            _ = try await server.sql("""
                INSERT INTO device (id, version, last_seen_at) SELECT 'fleet-' || i, '1.4.2', now() - (i % 7) * interval '5 hours' FROM generate_series(1, 2000) i;
                INSERT INTO device_heartbeat (device, sent_at, body) SELECT 'fleet-' || i, now(), '\(json)'::jsonb FROM generate_series(1, 2000) i;
                INSERT INTO device_last_heartbeat (device, heartbeat_id, received_at, body)
                    SELECT device, id, received_at, body FROM device_heartbeat WHERE device LIKE 'fleet-%';
                """, database: "hub")
            var timings: [Double] = []
            var size = 0
            for _ in 0..<3 {
                let started = ContinuousClock.now
                let response = try await browser.get("/devices")
                timings.append((ContinuousClock.now - started) / .milliseconds(1))
                #expect(response.status == .ok)
                size = response.body.readableBytes
            }
            let reading = ContinuousClock.now
            let latest = try await store.latestHeartbeats()
            let read = (ContinuousClock.now - reading) / .milliseconds(1)
            #expect(latest.count == 2005)
            let list = String(buffer: try await browser.get("/devices").body)
            #expect(list.contains("id=\"device-count\">2005<"))
            #expect(list.components(separatedBy: "<tr id=\"device-").count - 1 == 2005)
            print("console device list, 2,005 devices: \(timings.map { String(format: "%.0f ms", $0) }.joined(separator: ", ")) server time (of which reading and decoding the latest heartbeats \(String(format: "%.0f ms", read))), \(size / 1024) KiB")
        }
    }
}

/// The single-machine store keeps accounts and the audit by the same rules.
@Suite struct ConsoleSQLiteTests {
    @Test("the SQLite store adds, changes and removes accounts, keeps an admin, and audits each change")
    func sqliteOperators() async throws {
        let folder = TemporaryDirectory("hub-sqlite-console")
        let store = try HubStore(directory: folder.path)
        let hash = try PasswordHash.make(password: "some-password-1")
        try await store.addOperator(ConsoleOperator(name: "root", role: .admin, passwordHash: hash), audit: .init(actor: "cli:test", action: "operator.add", subject: "root"))
        try await store.addOperator(ConsoleOperator(name: "eye", role: .viewer, passwordHash: hash), audit: .init(actor: "root", action: "operator.add", subject: "eye"))
        await #expect(throws: HubError.self) {
            try await store.addOperator(ConsoleOperator(name: "eye", role: .admin, passwordHash: hash), audit: .init(actor: "root", action: "operator.add", subject: "eye"))
        }
        try await store.setOperatorRole(name: "eye", role: .admin, audit: .init(actor: "root", action: "operator.set-role", subject: "eye"))
        try await store.removeOperator(name: "root", audit: .init(actor: "eye", action: "operator.remove", subject: "root"))
        do {
            try await store.setOperatorRole(name: "eye", role: .viewer, audit: .init(actor: "eye", action: "operator.set-role", subject: "eye"))
            Issue.record("the last admin stepped down")
        } catch {
            #expect(error.code == .conflict)
        }
        #expect(try await store.operators().map(\.name) == ["eye"])
        #expect(try await store.consoleOperator(name: "eye")?.passwordHash.matches("some-password-1") == true)
        #expect(try await store.auditEntries(limit: 10).map(\.action) == ["operator.remove", "operator.set-role", "operator.add", "operator.add"])
    }

    @Test("every text the console shows has its Russian")
    func translations() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/PlatformHub/Console").standardized
        let pattern = try Regex(#"(?:\bt|language|page|message)\("((?:[^"\\]|\\.)+)""#)
        var missing: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") && file != "ConsoleTranslations.swift" {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for match in source.matches(of: pattern) {
                guard let text = match.output[1].substring.map(String.init), !text.contains("\\("), text.first?.isLetter == true else { continue }
                if ConsoleTranslations.russian[text] == nil { missing.insert(text) }
            }
        }
        #expect(missing.isEmpty, "no Russian for: \(missing.sorted())")
    }
}
