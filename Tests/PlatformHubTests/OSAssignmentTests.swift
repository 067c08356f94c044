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
        #expect(try await server.sql("SELECT device, file FROM os_assignment", database: "hub") == "box-a|fluorobox-0.3.0.raucb")
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
}
