import BrowserTesting
import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import StudyStore
import Testing

/// OS bundles assigned to devices, on a real PostgreSQL and on the single-machine store, and
/// what the console's device page shows of a box's OS.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct OSAssignmentTests {
    /// Assigns, replaces and reads back per device; the assignment pins the file's size and SHA-256.
    static func checkAssignments(_ store: any HubStoring, reader: (any HubStoring)? = nil) async throws {
        let folder = TemporaryDirectory("os-bundles")
        try Data("version two".utf8).write(to: URL(fileURLWithPath: folder.file("fluorobox-0.2.0.raucb")))
        try Data("version three!".utf8).write(to: URL(fileURLWithPath: folder.file("fluorobox-0.3.0.raucb")))
        let two = try OSBundleAssignment.of(file: "fluorobox-0.2.0.raucb", in: folder.path, version: "0.2.0+e1", assignedBy: "test")
        #expect(two.size == 11 && two.sha256 == SHA256Check.hex(Array("version two".utf8)))
        #expect(try await store.osAssignment(device: "box-a") == nil)
        try await store.assignOSBundle(two, device: "box-a")
        let reader = reader ?? store
        let read = try #require(try await reader.osAssignment(device: "box-a"))
        #expect(read.file == two.file && read.version == two.version && read.size == two.size && read.sha256 == two.sha256 && read.assignedBy == "test")
        #expect(abs(read.assignedAt.timeIntervalSince(two.assignedAt)) < 0.01)
        #expect(try await reader.osAssignment(device: "box-b") == nil)
        let three = try OSBundleAssignment.of(file: "fluorobox-0.3.0.raucb", in: folder.path, version: "0.3.0", assignedBy: "test")
        try await store.assignOSBundle(three, device: "box-a")
        #expect(try await reader.osAssignment(device: "box-a")?.file == "fluorobox-0.3.0.raucb")
        #expect(try await store.unassignOSBundle(device: "box-b", by: "ops", at: Date()) == nil)
        let taken = try #require(try await store.unassignOSBundle(device: "box-a", by: "ops", at: Date()))
        #expect(taken.file == three.file && taken.sha256 == three.sha256)
        #expect(try await reader.osAssignment(device: "box-a") == nil)
        #expect(try await store.unassignOSBundle(device: "box-a", by: "ops", at: Date()) == nil)
        // Two assignments and one taking back, each with who, the device and which bundle; the no-ops left nothing.
        let audit = try await reader.auditEntries(limit: 10).filter { $0.subject == "box-a" || $0.subject == "box-b" }
        try #require(audit.count == 3, "\(audit)")
        #expect(audit.map(\.action) == [
            ConsoleAuditEntry.Action.osBundleUnassigned, ConsoleAuditEntry.Action.osBundleAssigned, ConsoleAuditEntry.Action.osBundleAssigned,
        ])
        #expect(audit.map(\.actor) == ["ops", "test", "test"] && audit.allSatisfy { $0.subject == "box-a" })
        #expect(audit[0].detail == "fluorobox-0.3.0.raucb, version 0.3.0, 14 bytes, SHA-256 \(three.sha256)")
        #expect(audit[2].detail?.contains("fluorobox-0.2.0.raucb, version 0.2.0+e1") == true && audit[2].detail?.contains(two.sha256) == true)
        #expect(throws: HubError.self) { _ = try OSBundleAssignment.of(file: "missing.raucb", in: folder.path, version: "1.0.0", assignedBy: "test") }
        #expect(throws: HubError.self) { _ = try OSBundleAssignment.of(file: "../etc/passwd", in: folder.path, version: "1.0.0", assignedBy: "test") }
    }

    @Test("PostgreSQL keeps one assignment per device, read by every replica")
    func postgresAssignments() async throws {
        let server = try await PostgresServer.start("pg-os-assign")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            try await Self.checkAssignments(stores[0], reader: stores[1])
        }
        #expect(try await server.sql("SELECT count(*) FROM os_assignment", database: "hub") == "0")
        #expect(try await server.sql("SELECT action FROM console_audit WHERE subject = 'box-a' ORDER BY id", database: "hub")
            == "device.assign-os\ndevice.assign-os\ndevice.unassign-os")
        try await server.stop()
    }

    @Test("the single-machine store keeps them the same way")
    func sqliteAssignments() async throws {
        let folder = TemporaryDirectory("hub-sqlite-os")
        try await Self.checkAssignments(try HubStore(directory: folder.path))
    }

    @Test("the console's device page shows the box's OS version, slot and last OS update outcome")
    func consoleShowsTheOS() async throws {
        try await ConsoleTests.withConsole("pg-console-os") { _, store, client in
            var beat = ConsoleTests.heartbeat()
            beat.os = DeviceHeartbeat.OS(
                version: "0.2.0+e1", bootedSlot: "a",
                lastOutcome: "update to 0.3.0 FAILED: slot b did not become ready within its tries; the box is back on slot a")
            try await store.recordHeartbeat(device: "box-os", serial: nil, heartbeat: beat, document: beat.encoded())
            let plain = ConsoleTests.heartbeat()
            try await store.recordHeartbeat(device: "box-plain", serial: nil, heartbeat: plain, document: plain.encoded())
            var browser = Browser(client)
            _ = try await browser.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let page = String(buffer: try await browser.get("/devices/box-os").body)
            #expect(page.contains("id=\"os-version\">0.2.0+e1<") && page.contains("slot a"), "\(page)")
            #expect(page.contains("id=\"os-last-outcome\">update to 0.3.0 FAILED: slot b did not become ready"))
            let other = String(buffer: try await browser.get("/devices/box-plain").body)
            #expect(other.contains("no A/B slots") && !other.contains("id=\"os-version\""))
        }
    }

    @Test("an operator assigns a bundle from the device page and takes it back: the box is offered it, then nothing; a viewer's POST and one without the CSRF token are refused; both changes are audited")
    func consoleAssigns() async throws {
        let folder = TemporaryDirectory("console-os-bundles")
        try Data("version three!".utf8).write(to: URL(fileURLWithPath: folder.file("fluorobox-0.3.0.raucb")))
        try Data("version two".utf8).write(to: URL(fileURLWithPath: folder.file("fluorobox-0.2.0.raucb")))
        var settings = ConsoleTests.quickSettings
        settings.osBundleDirectory = folder.path
        try await ConsoleTests.withConsole("pg-console-os-assign", settings: settings) { server, store, client in
            try await store.recordHello(device: "box-os", version: "1.0.0")
            // The device side: a real replica on the same database, asked as the box asks.
            let staging = TemporaryDirectory("console-os-staging")
            let replica = try await HubReplica(database: server.url(database: "hub"), staging: staging.path, extra: ["--os-bundle-dir", folder.path])
            func offer() async throws -> Curl.Answer { try await Curl.call(port: replica.port, "GET", "/v1/devices/box-os/os-update", device: "box-os") }
            #expect(try await offer().status == 204)
            let form = ["bundle": "fluorobox-0.3.0.raucb", "version": "0.3.0"]

            var viewer = Browser(client)
            _ = try await viewer.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let seen = String(buffer: try await viewer.get("/devices/box-os").body)
            #expect(seen.contains("id=\"os-assignment\"") && !seen.contains("id=\"assign-os\"") && !seen.contains("/os-bundle\""))
            #expect(try await viewer.submit("/devices/box-os/os-bundle", form).status == .forbidden)

            var operatorBrowser = Browser(client)
            _ = try await operatorBrowser.logIn("ops", password: ConsoleTests.passwords["ops"]!)
            let page = String(buffer: try await operatorBrowser.get("/devices/box-os").body)
            #expect(page.contains("id=\"assign-os\"") && page.contains("<option value=\"fluorobox-0.2.0.raucb\">") && page.contains("fluorobox-0.3.0.raucb · 14 B"), "\(page)")
            var noToken = form
            noToken["csrf"] = "not-the-session-token"
            #expect(try await operatorBrowser.post("/devices/box-os/os-bundle", noToken).status == .forbidden)
            #expect(try await operatorBrowser.post("/devices/box-os/os-bundle", form).status == .forbidden)
            #expect(try await store.osAssignment(device: "box-os") == nil)
            #expect(try await operatorBrowser.submit("/devices/box-os/os-bundle", ["bundle": "../fluorobox-0.3.0.raucb", "version": "0.3.0"]).status == .badRequest)

            #expect(try await operatorBrowser.submit("/devices/box-os/os-bundle", form).status == .seeOther)
            let offered = try await offer()
            #expect(offered.status == 200, "\(offered.body)")
            let json = try JSONSerialization.jsonObject(with: Data(offered.body.utf8)) as? [String: Any]
            #expect(json?["file"] as? String == "fluorobox-0.3.0.raucb" && json?["version"] as? String == "0.3.0")
            #expect(json?["sha256"] as? String == SHA256Check.hex(Array("version three!".utf8)) && json?["size"] as? Int == 14)
            let assigned = String(buffer: try await viewer.get("/devices/box-os").body)
            #expect(assigned.contains("id=\"os-assigned-file\">fluorobox-0.3.0.raucb<") && assigned.contains("id=\"os-assigned-version\">0.3.0<"))
            #expect(!assigned.contains("id=\"unassign-os\""))

            #expect(try await viewer.submit("/devices/box-os/os-bundle/remove", [:]).status == .forbidden)
            #expect(try await offer().status == 200)
            #expect(String(buffer: try await operatorBrowser.get("/devices/box-os").body).contains("id=\"unassign-os\""))
            #expect(try await operatorBrowser.submit("/devices/box-os/os-bundle/remove", [:]).status == .seeOther)
            #expect(try await offer().status == 204)
            #expect(String(buffer: try await viewer.get("/devices/box-os").body).contains("No OS bundle assigned."))

            let audit = String(buffer: try await viewer.get("/audit").body)
            #expect(audit.contains("<code>device.assign-os</code>") && audit.contains("<code>device.unassign-os</code>"))
            let rows = try await server.sql(
                "SELECT actor, action, subject, detail FROM console_audit WHERE subject = 'box-os' ORDER BY id", database: "hub")
            let sha = SHA256Check.hex(Array("version three!".utf8))
            #expect(rows == """
                ops|device.assign-os|box-os|fluorobox-0.3.0.raucb, version 0.3.0, 14 bytes, SHA-256 \(sha)
                ops|device.unassign-os|box-os|fluorobox-0.3.0.raucb, version 0.3.0, 14 bytes, SHA-256 \(sha)
                """)
            await replica.stop()
        }
    }
}
