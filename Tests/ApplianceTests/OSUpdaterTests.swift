@testable import Appliance
import FluoroboxTestSupport
import OSUpdateTesting
import Foundation
import Testing

/// `fluorobox os`: real RAUC bundles, signed by a test PKI (image/update-pki), checked by the real
/// `rauc info`. Only what needs the kernel's dm-verity and real slots is stood in for (a `rauc`
/// in front of the real one: `mount` unpacks the payload with unsquashfs, `install` and
/// `status mark-good` are recorded); image/test-update does those for real in QEMU.
@Suite("OS updates (fluorobox os)", .serialized)
struct OSUpdaterTests {
    @Test func versionsOrderAsSemanticVersionsIgnoringBuildMetadata() throws {
        let ordered = ["0.0.9", "0.1.0-rc.1", "0.1.0-rc.2", "0.1.0+d973437", "0.1.1-update-test", "0.1.1", "0.2.0", "0.10.0", "1.0.0"]
        let versions = try ordered.map { try #require(OSVersion($0)) }
        for (index, version) in versions.enumerated() {
            for later in versions[(index + 1)...] { #expect(version < later, "\(version) < \(later)") }
        }
        #expect(OSVersion("0.1.0+abc") == OSVersion("0.1.0+def"))
        for invalid in ["", "d973437", "1.2", "1.2.x", "1.2.3-", "-1.2.3"] { #expect(OSVersion(invalid) == nil, "\(invalid)") }
    }

    func refusal(_ code: OSUpdateErrorCode, installing bundle: String, with rig: OSUpdateRig) throws {
        let error = #expect(throws: OSUpdateError.self) { try rig.updater.install(bundle: bundle) }
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(!rig.raucCalls.contains { $0.hasPrefix("install") }, "rauc install ran: \(rig.raucCalls)")
        #expect(rig.updater.lastRecord()?.event == .refused)
    }

    @Test func installsANewerBundleSignedByTheTrustedKey() async throws {
        let rig = try await OSUpdateRig()
        let bundle = try await rig.bundle("v2", version: "0.2.0+e1")
        let (info, slot) = try rig.updater.install(bundle: bundle)
        #expect(info.version == "0.2.0+e1")
        #expect(slot == "b")
        #expect(rig.raucCalls == ["install \(bundle)"])
        let record = try #require(rig.updater.lastRecord())
        #expect(record.event == .installed && record.version == "0.2.0+e1" && record.slot == "b")
    }

    @Test func refusesABundleSignedByAnotherKey() async throws {
        let rig = try await OSUpdateRig()
        try refusal(.notVerified, installing: try await rig.bundle("foreign", version: "0.2.0", signedBy: rig.foreign), with: rig)
        #expect(rig.raucCalls.isEmpty, "nothing but rauc info ran: \(rig.raucCalls)")
    }

    @Test func refusesAnOlderBundle() async throws {
        let rig = try await OSUpdateRig()
        try refusal(.older, installing: try await rig.bundle("old", version: "0.0.9+a1"), with: rig)
        #expect(rig.raucCalls.isEmpty)
    }

    @Test func refusesABundleWhosePayloadWasChanged() async throws {
        let rig = try await OSUpdateRig()
        let bundle = try await rig.bundle("tampered", version: "0.2.0")
        // One byte in the middle of the image's data: the signature (over the manifest and the
        // verity root hash) is untouched, so only reading the payload finds it.
        try flipByte(of: bundle, at: 128 * 1024)
        #expect(throws: Never.self) { _ = try rig.updater.verifiedInfo(bundle: bundle) }
        try refusal(.payload, installing: bundle, with: rig)
    }

    func flipByte(of bundle: String, at offset: Int64) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: bundle))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try #require(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data([byte ^ 0x5A]))
    }

    /// Where a bundle's payload ends and its hash tree begins (the signature's size is the
    /// bundle's last 8 bytes).
    func payloadSize(of bundle: String, rig: OSUpdateRig) throws -> Int64 {
        let bytes = try #require(FileManager.default.contents(atPath: bundle))
        let signature = bytes.suffix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let payload = Int64(bytes.count) - 8 - signature - (try rig.updater.verity(bundle: bundle).hashTreeSize)
        #expect(payload > 0 && payload % 4096 == 0, "payload \(payload) bytes")
        return payload
    }

    /// What dm-verity would check while RAUC writes the slot, checked before: the hash tree
    /// stored between the payload and the signature, and the payload's very last block.
    @Test func refusesABundleWhoseHashTreeOrLastBlockWasChanged() async throws {
        let rig = try await OSUpdateRig()
        let tree = try await rig.bundle("tree", version: "0.2.0")
        try flipByte(of: tree, at: try payloadSize(of: tree, rig: rig) + 40)
        #expect(throws: Never.self) { _ = try rig.updater.verifiedInfo(bundle: tree) }
        try refusal(.payload, installing: tree, with: rig)

        let last = try await rig.bundle("last", version: "0.2.0")
        try flipByte(of: last, at: try payloadSize(of: last, rig: rig) - 1)
        try refusal(.payload, installing: last, with: rig)
    }

    /// The tree as `veritysetup` makes it, recomputed on a bundle RAUC made: the root hash is
    /// RAUC's and the stored tree is read back equal (a wrong salt or block order would not be).
    /// 1 MiB of payload is more than one hash block of leaves, so the tree has two levels.
    @Test func theHashTreeIsDmVeritysOwn() async throws {
        let rig = try await OSUpdateRig()
        let bundle = try await rig.bundle("v2", version: "0.2.0", imageSize: 1 << 20)
        let verity = try rig.updater.verity(bundle: bundle)
        #expect(verity.salt.count == 32 && verity.hashTreeSize >= 3 * 4096, "\(verity.hashTreeSize) bytes of tree")
        #expect(throws: Never.self) { try verity.verify(bundle: bundle) }
        var otherSalt = verity.salt
        otherSalt[0] ^= 1
        #expect(throws: OSUpdateError.self) {
            try BundleVerity(salt: otherSalt, rootHash: verity.rootHash, hashTreeSize: verity.hashTreeSize).verify(bundle: bundle)
        }
        #expect(BundleVerity(raucInfo: "Bundle Format: \tplain\n") == nil)
    }

    @Test func refusesAFileThatIsNoBundle() async throws {
        let rig = try await OSUpdateRig()
        let path = try rig.folder.write("not-a-bundle.raucb", Array("hello".utf8))
        try refusal(.notVerified, installing: path, with: rig)
    }

    @Test func statusTellsAFailedUpdateFromOneThatTook() throws {
        func slot(_ line: String) throws -> OSUpdater.Slot { try #require(OSUpdater.Slot(describeLine: Substring(line))) }
        let installed = OSUpdateRecord(event: .installed, version: "0.2.0", slot: "b")
        let fellBack = OSUpdater.outcome(
            of: installed, booted: "a", slots: [try slot("a good yes - 0.1.0"), try slot("b bad no 0 -")])
        #expect(fellBack?.contains("FAILED") == true, "\(fellBack ?? "nil")")
        let pending = OSUpdater.outcome(
            of: installed, booted: "a", slots: [try slot("a good no - 0.1.0"), try slot("b trial yes 3 0.2.0")])
        #expect(pending?.contains("boots at the next reboot") == true, "\(pending ?? "nil")")
        let took = OSUpdater.outcome(
            of: installed, booted: "b", slots: [try slot("a good no - 0.1.0"), try slot("b good yes - 0.2.0")])
        #expect(took == "updated to 0.2.0 (slot b)")
    }

    /// The boot loader backend itself (board/common/overlay/usr/lib/fluorobox/rauc-bootloader)
    /// on an ESP that is a folder: which slot boots next as systemd-boot would pick it, and what
    /// RAUC's set-state does to the entry names.
    @Test func theBootLoaderBackendFollowsSystemdBootsOrder() async throws {
        let folder = TemporaryDirectory("esp")
        let entries = folder.file("esp/loader/entries")
        try FileManager.default.createDirectory(atPath: entries, withIntermediateDirectories: true)
        try "BOARD_ROOT_SLOTS=\"a b\"\nBOARD_BOOT_TRIES=3\n".write(toFile: folder.file("board.conf"), atomically: true, encoding: .utf8)
        func entry(_ name: String, _ version: String) throws {
            try "title   Fluorobox \(version) (slot x)\n".write(toFile: "\(entries)/\(name)", atomically: true, encoding: .utf8)
        }
        func backend(_ arguments: String...) async throws -> String {
            let result = try await ProcessRunner.run(
                TestData.packageRoot + "/board/common/overlay/usr/lib/fluorobox/rauc-bootloader", arguments,
                environment: ["FLUOROBOX_BOARD_CONF": folder.file("board.conf"), "FLUOROBOX_ESP_DIR": folder.file("esp")])
            try #require(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: entries).sorted() }

        try entry("fluorobox-1-a.conf", "0.1.0")
        try entry("fluorobox-2-b+2-1.conf", "0.2.0")
        #expect(try await backend("describe") == "a good no - 0.1.0\nb trial yes 2 0.2.0")
        #expect(try await backend("get-primary") == "b")
        #expect(try await backend("get-state", "b") == "good")

        // Its tries spent, the new slot sorts last: the old one boots by itself.
        try FileManager.default.moveItem(atPath: "\(entries)/fluorobox-2-b+2-1.conf", toPath: "\(entries)/fluorobox-2-b+0-3.conf")
        #expect(try await backend("get-primary") == "a")
        #expect(try await backend("get-state", "b") == "bad")

        // mark-good on a trial drops the counter and keeps the rank; bad removes the entry.
        try FileManager.default.moveItem(atPath: "\(entries)/fluorobox-2-b+0-3.conf", toPath: "\(entries)/fluorobox-2-b+1-2.conf")
        _ = try await backend("set-state", "b", "good")
        #expect(try names() == ["fluorobox-1-a.conf", "fluorobox-2-b.conf"])
        _ = try await backend("set-state", "b", "bad")
        #expect(try names() == ["fluorobox-1-a.conf"])
        #expect(try await backend("get-primary") == "a")

        // set-primary of a good slot only changes the ranks (no kernel copy, no trial).
        _ = try await backend("set-primary", "a")
        #expect(try names() == ["fluorobox-2-a.conf"])
    }

    /// The agent cannot run the backend (it mounts the ESP: root only), so root publishes what
    /// `describe` prints, on `publish` and after every change RAUC makes through the backend, and
    /// the unprivileged agent's ``OSUpdater`` reads that.
    @Test func theAgentReadsTheBootStateRootPublished() async throws {
        let folder = TemporaryDirectory("esp-published")
        let entries = folder.file("esp/loader/entries")
        try FileManager.default.createDirectory(atPath: entries, withIntermediateDirectories: true)
        try "BOARD_ROOT_SLOTS=\"a b\"\nBOARD_BOOT_TRIES=3\n".write(toFile: folder.file("board.conf"), atomically: true, encoding: .utf8)
        for (name, version) in [("fluorobox-1-a.conf", "0.1.0"), ("fluorobox-2-b+3.conf", "0.2.0")] {
            try "title   Fluorobox \(version) (slot x)\n".write(toFile: "\(entries)/\(name)", atomically: true, encoding: .utf8)
        }
        let published = folder.file("run/boot-slots")
        func backend(_ arguments: String...) async throws {
            let result = try await ProcessRunner.run(
                TestData.packageRoot + "/board/common/overlay/usr/lib/fluorobox/rauc-bootloader", arguments,
                environment: [
                    "FLUOROBOX_BOARD_CONF": folder.file("board.conf"), "FLUOROBOX_ESP_DIR": folder.file("esp"),
                    "FLUOROBOX_PUBLISHED_SLOTS": published,
                ])
            try #require(result.status == 0, "\(arguments): \(result.stderr)")
        }
        var agent = OSUpdater(rauc: RaucTool(bootloaderBackend: "/nonexistent/needs-root"), recordFile: folder.file("os-update.json"))
        agent.readsPublishedSlots = true
        agent.publishedSlotsFile = published
        #expect(throws: OSUpdateError.self) { try agent.slots() }

        try await backend("publish")
        #expect(try agent.slots().map { "\($0.name) \($0.state) \($0.primary)" } == ["a good false", "b trial true"])
        // RAUC's mark-good of b goes through the backend, which publishes the new state.
        try await backend("set-state", "b", "good")
        #expect(try agent.slots().map { "\($0.name) \($0.state) \($0.primary)" } == ["a good false", "b good true"])
        let mode = try FileManager.default.attributesOfItem(atPath: published)[.posixPermissions] as? Int
        #expect(mode == 0o644, "the agent's user must be able to read it")
    }

    /// The boot assessment (board/common/overlay/usr/lib/fluorobox/boot-assessment) of a slot whose
    /// agent never gets ready reboots on every try, the last one included: systemd-boot has counted
    /// that boot already (+0), so the backend calls the slot bad, and staying would keep the box on
    /// the bad slot for good. A good slot is left alone.
    @Test func theBootAssessmentRebootsOnEveryTryOfASlotThatIsNotReady() async throws {
        let folder = TemporaryDirectory("assessment")
        let entries = folder.file("esp/loader/entries")
        try FileManager.default.createDirectory(atPath: entries, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("bin"), withIntermediateDirectories: true)
        try "BOARD_ROOT_SLOTS=\"a b\"\nBOARD_BOOT_TRIES=2\nBOARD_BOOT_TRIAL_SECONDS=0\n".write(toFile: folder.file("board.conf"), atomically: true, encoding: .utf8)
        try "root=PARTUUID=x ro rauc.slot=b\n".write(toFile: folder.file("cmdline"), atomically: true, encoding: .utf8)
        // systemctl: the agent is never active; a reboot is counted.
        try "#!/bin/sh\ncase \"$1\" in is-active) exit 3 ;; reboot) echo reboot >>\"\(folder.file("reboots"))\" ;; esac\n"
            .write(toFile: folder.file("bin/systemctl"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.file("bin/systemctl"))
        for (name, version) in [("fluorobox-1-a.conf", "0.1.0"), ("fluorobox-2-b+1-1.conf", "0.2.0")] {
            try "title   Fluorobox \(version) (slot x)\n".write(toFile: "\(entries)/\(name)", atomically: true, encoding: .utf8)
        }
        func assess() async throws -> String {
            let result = try await ProcessRunner.run(
                TestData.packageRoot + "/board/common/overlay/usr/lib/fluorobox/boot-assessment", [],
                environment: [
                    "FLUOROBOX_BOARD_CONF": folder.file("board.conf"), "FLUOROBOX_ESP_DIR": folder.file("esp"),
                    "FLUOROBOX_PROC_CMDLINE": folder.file("cmdline"),
                    "PATH": folder.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                ])
            return result.stdout + result.stderr
        }
        func reboots() -> Int {
            ((try? String(contentsOfFile: folder.file("reboots"), encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        var said = try await assess()
        #expect(said.contains("the agent was not ready within 0s; rebooting (1 tries left)"), "\(said)")
        #expect(reboots() == 1)
        // The last try: systemd-boot renamed the entry before it booted the slot.
        try FileManager.default.moveItem(atPath: "\(entries)/fluorobox-2-b+1-1.conf", toPath: "\(entries)/fluorobox-2-b+0-2.conf")
        said = try await assess()
        #expect(said.contains("the agent was not ready within 0s; rebooting (0 tries left)"), "\(said)")
        #expect(reboots() == 2)
        try FileManager.default.moveItem(atPath: "\(entries)/fluorobox-2-b+0-2.conf", toPath: "\(entries)/fluorobox-2-b.conf")
        said = try await assess()
        #expect(said.contains("booted slot b (") && said.contains("), good"), "\(said)")
        #expect(reboots() == 2)
    }

    @Test func theCommandLinePrintsTheRefusalAndExitsOne() async throws {
        let rig = try await OSUpdateRig()
        let bundle = try await rig.bundle("old", version: "0.0.1")
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, [
            "os", "install", "--rauc", rig.folder.file("rauc"), "--rauc-config", rig.folder.file("system.conf"),
            "--version-file", rig.folder.file("version"), "--record-file", rig.folder.file("os-update.json"),
            "--bootloader-backend", rig.folder.file("bootloader"), bundle,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("refused: the bundle is older than the running system: bundle 0.0.1 < running 0.1.0+d973437"), "\(result.stderr)")
    }
}
