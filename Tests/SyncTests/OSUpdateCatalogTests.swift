import Appliance
import Foundation
import FluoroboxTestSupport
import GRDB
import OSUpdateTesting
import StudyStore
import Sync
import SyncFixtures
import Testing

/// OS bundles from the platform: the real hub (`--os-bundle-dir`, `device assign-os`) behind a
/// proxy that cuts downloads, the box's OSUpdateService with `fluorobox os install`'s real
/// checks; RAUC's writing of a slot and the reboots are the rig's (``OSUpdateRig``), since they
/// need the image (image/test-update proves them in QEMU).
@Suite("OS updates from the platform", .serialized)
struct OSUpdateCatalogTests {
    static let device = "box-test-1"

    @Test("an assigned bundle downloads through cuts and installs without a reboot; a tampered one is refused; fell back and marked good are reported; every outcome reaches the hub")
    func updatesFromAssignment() async throws {
        let rig = try await OSUpdateRig()
        let box = TemporaryDirectory("os-box")
        let hubDirectory = TemporaryDirectory("os-hub")
        let bundles = TemporaryDirectory("os-bundles")
        let manager = FileManager.default
        try manager.copyItem(atPath: try await rig.bundle("v2", version: "0.2.0+e1"), toPath: bundles.file("fluorobox-0.2.0.raucb"))
        try manager.copyItem(atPath: try await rig.bundle("v3", version: "0.3.0+f1"), toPath: bundles.file("fluorobox-0.3.0.raucb"))
        // One byte of the image changed after signing: only reading the payload finds it.
        let tampered = try await rig.bundle("tampered", version: "0.2.0+t1")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tampered))
        bytes[128 * 1024] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: bundles.file("tampered.raucb")))

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort, arguments: ["--os-bundle-dir", bundles.path])
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        // Answers are cut after 100 kB on the first connections: the downloads must resume.
        let proxy = try FaultProxy(upstreamPort: hubPort) { $0 < 4 ? .cutReplyAfter(100_000) : .pass }
        defer { proxy.stop() }
        func assign(_ file: String, _ version: String) async throws {
            let result = try await ProcessRunner.run(HubProcess.binary, [
                "device", "assign-os", Self.device, "--data-dir", hubDirectory.path, "--os-bundle-dir", bundles.path,
                "--bundle", file, "--version", version,
            ])
            try #require(result.status == 0, "\(result.stderr)")
        }

        var settings = SyncDeliveryTests.settings(proxyPort: proxy.port, chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        let counters = SyncCounters()
        let client = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        let directory = DataDirectory(path: box.path)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        let reboots = CallCounter()
        let service = OSUpdateService(
            client: client, updater: rig.updater, directory: directory, intervalSeconds: 3600, maintenanceWindow: nil,
            reboot: { reboots.call() }, reportTo: store, deviceID: Self.device, logger: quietLogger)
        func poll(until done: ([String: OSBundleUpdateRecord]) -> Bool) async -> [String: OSBundleUpdateRecord] {
            for _ in 0..<12 where !done(RunStateFiles(directory: directory).osUpdates()) { await service.checkOnce() }
            return RunStateFiles(directory: directory).osUpdates()
        }
        func record(_ file: String) -> OSBundleUpdateRecord? {
            RunStateFiles(directory: directory).osUpdates().values.first { $0.file == file }
        }
        var installs: [String] { rig.raucCalls.filter { $0.hasPrefix("install ") } }

        #expect(await service.checkOnce().isEmpty, "nothing is assigned yet")

        // A tampered bundle: refused by the payload check, nothing written.
        try await assign("tampered.raucb", "0.2.0+t1")
        _ = await poll { $0.count == 1 }
        let refused = try #require(record("tampered.raucb"))
        #expect(refused.outcome == .refused && (refused.reason ?? "").contains("signature covers"), "\(refused)")
        #expect(installs.isEmpty)

        // The good one: resumed through the cuts, installed into slot b; it waits for a person.
        try await assign("fluorobox-0.2.0.raucb", "0.2.0+e1")
        _ = await poll { $0.values.contains { $0.file == "fluorobox-0.2.0.raucb" } }
        let installed = try #require(record("fluorobox-0.2.0.raucb"))
        #expect(installed.outcome == .installed && installed.slot == "b" && installed.version == "0.2.0+e1", "\(installed)")
        #expect(installs == ["install \(box.path)/sync/os/\(installed.sha256).raucb"], "\(rig.raucCalls)")
        #expect(proxy.counts.cuts >= 1 && counters.snapshot.resumedDownloads >= 1, "the download was to be cut and resumed: \(proxy.counts), \(counters.snapshot)")
        #expect(!manager.fileExists(atPath: "\(box.path)/sync/os/\(installed.sha256).raucb"), "the installed bundle is kept")
        #expect(await service.checkOnce().isEmpty && installs.count == 1, "installed twice")
        #expect(reboots.calls == 0, "the box rebooted by itself")

        // The technician rebooted; slot b never became ready and spent its tries: back on a.
        try rig.boot("a", slots: ["a good yes - 0.1.0+d973437", "b bad no 0 -"], version: "0.1.0+d973437")
        let fellBack = await service.checkOnce()
        #expect(fellBack.map(\.outcome) == [.fellBack] && (fellBack.first?.reason ?? "").contains("back on slot a"), "\(fellBack)")

        // The next bundle installs, boots, becomes ready and is marked good.
        try rig.boot("a", slots: ["a good no - 0.1.0+d973437", "b trial yes 3 0.3.0+f1"], version: "0.1.0+d973437")
        try await assign("fluorobox-0.3.0.raucb", "0.3.0+f1")
        _ = await poll { $0.values.contains { $0.file == "fluorobox-0.3.0.raucb" } }
        #expect(record("fluorobox-0.3.0.raucb")?.outcome == .installed)
        try rig.boot("b", slots: ["a good no - 0.1.0+d973437", "b good yes - 0.3.0+f1"], version: "0.3.0+f1")
        let markedGood = await service.checkOnce()
        #expect(markedGood.map(\.outcome) == [.markedGood] && markedGood.first?.version == "0.3.0+f1", "\(markedGood)")
        #expect(await service.checkOnce().isEmpty && installs.count == 2, "the running version is installed again")
        await client.shutdown()

        // Five outcomes, each delivered to the hub once.
        #expect(try store.queuedOutboxKinds(destination: .platform) == ["os-update": 5])
        let senderClient = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        let sender = SyncService(store: store, destination: PlatformDestination(client: senderClient), settings: settings, counters: SyncCounters(), logger: quietLogger)
        let drain = Task { try await sender.run() }
        let states = try await SyncFixture.waitUntilSettled(store, count: 5, seconds: 120)
        drain.cancel()
        _ = try? await drain.value
        #expect(states["sent"] == 5, "\(states)")
        let held = try await HubList.items(dataDirectory: hubDirectory.path).filter { $0.kind == "os-update" }
        #expect(Set(held.map(\.key)) == Set([
            "os-update:\(Self.device):\(refused.sha256):refused", "os-update:\(Self.device):\(installed.sha256):installed",
            "os-update:\(Self.device):\(installed.sha256):fell-back",
            "os-update:\(Self.device):\(try #require(record("fluorobox-0.3.0.raucb")).sha256):installed",
            "os-update:\(Self.device):\(try #require(record("fluorobox-0.3.0.raucb")).sha256):marked-good",
        ]), "\(held.map(\.key))")
    }

    @Test("an installed update waits for the maintenance window: inside it the box reboots when quiet, never while busy or outside it")
    func rebootsOnlyInTheMaintenanceWindow() async throws {
        let rig = try await OSUpdateRig()
        let box = TemporaryDirectory("os-window")
        // Installed into b, not booted yet.
        try rig.boot("a", slots: ["a good no - 0.1.0+d973437", "b trial yes 3 0.2.0+e1"], version: "0.1.0+d973437")
        var settings = SyncDeliveryTests.settings(proxyPort: HubProcess.freePort(), chunkBytes: 1 << 20)
        settings.watchNetworkChanges = false
        settings.connectTimeoutSeconds = 0.5
        func window(fromMinutes start: Int, toMinutes end: Int) throws -> MaintenanceWindow {
            let parts = Calendar.current.dateComponents([.hour, .minute], from: Date())
            let now = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
            func clock(_ offset: Int) -> String {
                let minute = ((now + offset) % 1440 + 1440) % 1440
                return String(format: "%02d:%02d", minute / 60, minute % 60)
            }
            return try #require(MaintenanceWindow("\(clock(start))-\(clock(end))"))
        }
        let inside = try window(fromMinutes: -60, toMinutes: 60)
        let cases: [(MaintenanceWindow?, String?, Int)] = [
            (try window(fromMinutes: 120, toMinutes: 180), nil, 0), (nil, nil, 0), (inside, "1 DICOM association is open", 0), (inside, nil, 1),
        ]
        for (window, busy, expected) in cases {
            let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
            let reboots = CallCounter()
            let service = OSUpdateService(
                client: client, updater: rig.updater, directory: DataDirectory(path: box.path), intervalSeconds: 3600,
                maintenanceWindow: window, reboot: { reboots.call() }, busy: { busy }, reportTo: nil, deviceID: Self.device, logger: quietLogger)
            await service.checkOnce()
            await client.shutdown()
            #expect(reboots.calls == expected, "window \(window.map { "\($0)" } ?? "none"), busy: \(busy ?? "no")")
        }
    }

    @Test func maintenanceWindowsParseAndWrapPastMidnight() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        func at(_ hour: Int, _ minute: Int) throws -> Date {
            try #require(calendar.date(from: DateComponents(year: 2026, month: 12, day: 7, hour: hour, minute: minute)))
        }
        let night = try #require(MaintenanceWindow("23:00-02:30"))
        let (eleven, nearlyTwo, halfPastTwo, noon) = (try at(23, 0), try at(1, 59), try at(2, 30), try at(12, 0))
        #expect(night.contains(eleven, calendar: calendar) && night.contains(nearlyTwo, calendar: calendar))
        #expect(!night.contains(halfPastTwo, calendar: calendar) && !night.contains(noon, calendar: calendar))
        let day = try #require(MaintenanceWindow("02:00-04:00"))
        let (three, four, one) = (try at(3, 0), try at(4, 0), try at(1, 0))
        #expect(day.contains(three, calendar: calendar) && !day.contains(four, calendar: calendar) && !day.contains(one, calendar: calendar))
        #expect(day.description == "02:00-04:00")
        for invalid in ["", "2:00-4:00", "02:00", "02:00-02:00", "24:00-01:00", "02:60-03:00", "a-b"] { #expect(MaintenanceWindow(invalid) == nil, "\(invalid)") }
    }
}

/// The hub's side of OS bundles as a device meets it.
@Suite("The hub's OS bundle routes")
struct HubOSBundleRouteTests {
    @Test("a device reads only its own assignment (another's path is 403); a bundle downloads in ranges; an unknown one is 404; a bad outcome document is 400")
    func routes() async throws {
        let folder = TemporaryDirectory("hub-os-routes")
        let bundles = TemporaryDirectory("hub-os-bundles")
        let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: bundles.file("fluorobox-0.2.0.raucb")))
        let port = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: folder.file("hub"), port: port, arguments: ["--os-bundle-dir", bundles.path])
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let assigned = try await ProcessRunner.run(HubProcess.binary, [
            "device", "assign-os", "box-os-1", "--data-dir", folder.file("hub"), "--os-bundle-dir", bundles.path,
            "--bundle", "fluorobox-0.2.0.raucb", "--version", "0.2.0", "--by", "technician-7",
        ])
        try #require(assigned.status == 0, "\(assigned.stderr)")
        let hubCall = HubCall(port: port, pki: nil)
        let own = try await hubCall.call("GET", "/v1/devices/box-os-1/os-update", headers: ["Fluorobox-Device: box-os-1"])
        #expect(own.status == 200 && own.body.contains(SHA256Check.hex(bytes)) && own.body.contains("\"size\":5000"), "\(own.status) \(own.body)")
        #expect(try await hubCall.call("GET", "/v1/devices/box-os-1/os-update", headers: ["Fluorobox-Device: box-os-2"]).status == 403)
        #expect(try await hubCall.call("GET", "/v1/devices/box-os-2/os-update", headers: ["Fluorobox-Device: box-os-2"]).status == 204)
        let tail = try await hubCall.call("GET", "/v1/os-bundles/fluorobox-0.2.0.raucb", headers: ["Range: bytes=4990-", "Fluorobox-Device: box-os-1"])
        #expect(tail.status == 206 && tail.headers["content-range"] == "bytes 4990-4999/5000", "\(tail.status) \(tail.headers)")
        #expect(try await hubCall.call("GET", "/v1/os-bundles/fluorobox-0.2.0.raucb", headers: ["Range: bytes=5000-", "Fluorobox-Device: box-os-1"]).status == 416)
        #expect(try await hubCall.call("GET", "/v1/os-bundles/missing.raucb", headers: ["Fluorobox-Device: box-os-1"]).status == 404)
        // A bundle goes to a device, named as on every route (here, plain HTTP, by the header).
        #expect(try await hubCall.call("GET", "/v1/os-bundles/fluorobox-0.2.0.raucb").status == 400)
        // Only to the device it is assigned to.
        let other = try await hubCall.call("GET", "/v1/os-bundles/fluorobox-0.2.0.raucb", headers: ["Fluorobox-Device: box-os-2"])
        #expect(other.status == 404 && other.body.contains("no OS bundle fluorobox-0.2.0.raucb is assigned to device box-os-2"), "\(other.status) \(other.body)")
        let badOutcome = try await hubCall.call(
            "PUT", "/v1/os-updates/os-update:box-os-1:x:rebooted", headers: ["Fluorobox-Device: box-os-1"],
            body: #"{"device":"box-os-1","sha256":"x","outcome":"rebooted","at":"2026-12-07T03:00:00Z"}"#)
        #expect(badOutcome.status == 400 && badOutcome.body.contains("outcome"), "\(badOutcome.status) \(badOutcome.body)")

        // Taken back: the box is offered nothing; both changes are audited with who made them.
        for expected in ["OS bundle fluorobox-0.2.0.raucb (0.2.0) taken back", "no OS bundle was assigned"] {
            let taken = try await ProcessRunner.run(HubProcess.binary, ["device", "unassign-os", "box-os-1", "--data-dir", folder.file("hub"), "--by", "technician-7"])
            #expect(taken.status == 0 && taken.stdout.contains(expected), "\(taken.stdout) \(taken.stderr)")
        }
        #expect(try await hubCall.call("GET", "/v1/devices/box-os-1/os-update", headers: ["Fluorobox-Device: box-os-1"]).status == 204)
        #expect(try await hubCall.call("GET", "/v1/os-bundles/fluorobox-0.2.0.raucb", headers: ["Fluorobox-Device: box-os-1"]).status == 404)
        let audit = try await DatabaseQueue(path: folder.file("hub") + "/hub.sqlite").read { db in
            try Row.fetchAll(db, sql: "SELECT actor, action, subject FROM consoleAudit ORDER BY id").map { "\($0["actor"] as String) \($0["action"] as String) \($0["subject"] as String)" }
        }
        #expect(audit == ["technician-7 device.assign-os box-os-1", "technician-7 device.unassign-os box-os-1"])
    }
}
