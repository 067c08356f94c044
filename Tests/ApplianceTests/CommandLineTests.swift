import Appliance
import FluoroboxTestSupport
import Foundation
import GRDB
import StudyStore
import Testing

/// The `fluorobox` binary driven as a user or script would: real processes, real files, real signals.
@Suite("fluorobox command line", .serialized)
struct CommandLineTests {
    static var fluorobox: String { ProcessRunner.fluorobox }
    static let isRoot = getuid() == 0

    struct StudiesDocument: Decodable {
        struct Study: Decodable {
            var studyInstanceUID: String
            var instances: [Instance]
        }
        struct Instance: Decodable {
            var sopInstanceUID: String
            var sha256: String
            var source: String
            var syncState: String
            var uidConflict: Bool
        }
        var studies: [Study]
        var instances: [Instance] { studies.flatMap(\.instances) }
    }

    static func studies(_ dataDir: String) async throws -> StudiesDocument {
        let result = try await ProcessRunner.run(fluorobox, ["studies", "--data-dir", dataDir, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(StudiesDocument.self, from: Data(result.stdout.utf8))
    }

    @Test("import prints one line per file and exits 0 only when every file was stored")
    func importLines() async throws {
        let folder = TemporaryDirectory("cli-import")
        let data = folder.file("data")
        let a = try folder.write("in/a.dcm", try DemoStudy.makePart10(seed: 1, size: 32))
        let b = try folder.write("in/sub/b.dcm", try DemoStudy.makePart10(seed: 2, size: 32))
        let clean = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, folder.file("in")])
        #expect(clean.status == 0, "\(clean.stderr)")
        let lines = clean.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("stored ") })
        #expect(lines.contains { $0.hasSuffix(a) } && lines.contains { $0.hasSuffix(b) })

        let empty = try folder.write("bad/empty.dcm", [])
        let text = try folder.write("bad/list.txt", Array("a list of patients".utf8))
        let missing = folder.file("bad/missing.dcm")
        let mixed = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, a, empty, text, missing])
        #expect(mixed.status == 1)
        let out = mixed.stdout.split(separator: "\n").map(String.init)
        #expect(out.count == 4)
        #expect(out[0].hasPrefix("duplicate ") && out[0].hasSuffix(a))
        #expect(out[1].hasPrefix("FAILED") && out[1].contains("empty"))
        #expect(out[2].hasPrefix("FAILED") && out[2].contains("not a DICOM Part 10 file"))
        #expect(out[3].hasPrefix("FAILED") && out[3].contains("No such file"))
        #expect(mixed.stderr.contains("3 file(s) were not stored"))
        #expect(FileManager.default.fileExists(atPath: text), "sources are never moved or removed by import")

        let document = try await Self.studies(data)
        #expect(document.instances.count == 2)
        #expect(document.instances.allSatisfy { $0.source == "import" && $0.syncState == "queued" && $0.sha256.count == 64 })
    }

    @Test("import --json gives one object per file with the UIDs and hash")
    func importJSON() async throws {
        let folder = TemporaryDirectory("cli-json")
        let bytes = try DemoStudy.makePart10(seed: 3, size: 32)
        let path = try folder.write("a.dcm", bytes)
        let result = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", folder.file("data"), "--json", path])
        #expect(result.status == 0)
        struct Line: Decodable { var path: String; var status: String; var sha256: String?; var sopInstanceUID: String? }
        let line = try JSONDecoder().decode(Line.self, from: Data(result.stdout.utf8))
        #expect(line.status == "stored" && line.path == path && line.sha256?.count == 64 && line.sopInstanceUID?.hasPrefix("2.25.") == true)
    }

    @Test("a file the agent's user cannot read fails with the reason", .enabled(if: isRoot, "needs root to switch to an unprivileged user"))
    func unreadable() async throws {
        let folder = TemporaryDirectory("cli-perm")
        let path = try folder.write("secret.dcm", try DemoStudy.makePart10(seed: 4, size: 32))
        chmod(path, 0o000)
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chown(data, 65534, 65534)
        chmod(folder.path, 0o755)
        let result = try await ProcessRunner.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", Self.fluorobox, "import", "--data-dir", data, path,
        ])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.hasPrefix("FAILED") && result.stdout.contains("Permission denied"))
    }

    @Test("serve reports readiness and watchdog to systemd, takes intake beside import, and stops on SIGTERM")
    func serveLifecycle() async throws {
        let folder = TemporaryDirectory("cli-serve")
        let data = folder.file("data")
        let watch = folder.file("watch")
        try FileManager.default.createDirectory(atPath: watch, withIntermediateDirectories: true)
        let receiver = try DatagramReceiver(path: folder.file("notify.sock"))
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: Self.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--watch-folder", watch, "--panel-port", "0", "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = receiver.path
        environment["WATCHDOG_USEC"] = "400000"
        environment["FLUOROBOX_WATCH_INTERVAL_SECONDS"] = "0.3"
        environment["FLUOROBOX_WATCH_SETTLE_SECONDS"] = "0"
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        let ready = receiver.waitFor("READY=1", timeoutMilliseconds: 30_000)
        #expect(ready.last?.contains("READY=1") == true, "no READY=1: \(ready)")
        let watchdog = receiver.waitFor("WATCHDOG=1", timeoutMilliseconds: 5_000)
        #expect(watchdog.last == "WATCHDOG=1")
        let state = try #require(RunStateFiles(directory: .init(path: data)).agentState())
        #expect(state.state == "ready" && state.pid == serve.processIdentifier)
        // --panel-port 0 picked a free port rather than the default 8080, and the panel answers there.
        // The panel is not part of readiness: its port may be written just after READY=1.
        var listeners = state.listeners
        for _ in 0..<100 where listeners["panel"] == nil {
            try await Task.sleep(for: .milliseconds(100))
            listeners = RunStateFiles(directory: .init(path: data)).agentState()?.listeners ?? [:]
        }
        let panelPort = try #require(listeners["panel"])
        #expect(panelPort != 0 && panelPort != 8080)
        let health = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(panelPort)/healthz"])
        #expect(health.stdout == "200")

        let second = try await ProcessRunner.run(Self.fluorobox, ["serve", "--data-dir", data])
        #expect(second.status != 0)
        #expect(second.stderr.contains("already using"))

        let imported = try folder.write("a.dcm", try DemoStudy.makePart10(seed: 5, size: 32))
        let importResult = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, imported])
        #expect(importResult.status == 0, "\(importResult.stderr)")
        try folder.write("watch/b.dcm", try DemoStudy.makePart10(seed: 6, size: 32))
        var sources: [String] = []
        for _ in 0..<50 {
            sources = try await Self.studies(data).instances.map(\.source).sorted()
            if sources.count == 2 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(sources == ["folder", "import"])

        let status = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data, "--json"])
        struct Status: Decodable { struct Agent: Decodable { var running: Bool; var state: String? }; var agent: Agent }
        let parsed = try JSONDecoder().decode(Status.self, from: Data(status.stdout.utf8))
        #expect(parsed.agent.running && parsed.agent.state == "ready")

        kill(serve.processIdentifier, SIGTERM)
        let stopping = receiver.waitFor("STOPPING=1", timeoutMilliseconds: 10_000)
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        for _ in 0..<100 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning)
        #expect(serve.terminationStatus == 0)
        #expect(RunStateFiles(directory: .init(path: data)).agentState()?.state == "stopped")
        let after = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data])
        #expect(after.stdout.contains("Agent:      not running"))
        #expect(after.stdout.contains("quick_check ok"))
    }

    @Test("status names the active model per task, or says none is active")
    func statusModels() async throws {
        let folder = TemporaryDirectory("cli-status-models")
        let data = folder.file("data")
        let imported = try folder.write("a.dcm", try DemoStudy.makePart10(seed: 7, size: 32))
        #expect(try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, imported]).status == 0)
        let none = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data])
        #expect(none.stdout.contains("Models:     none active"), "\(none.stdout)")

        let demo = TestData.packageRoot + "/models/chest-phantom-demo"
        let install = try await ProcessRunner.run(Self.fluorobox, ["model", "install", demo, "--data-dir", data], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(install.status == 0, "\(install.stderr)")
        let activate = try await ProcessRunner.run(Self.fluorobox, ["model", "activate", "chest-phantom-demo@2.0.1", "--data-dir", data], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(activate.status == 0, "\(activate.stderr)")
        let text = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(text.stdout.contains("Models:     chest-findings: chest-phantom-demo@2.0.1"), "\(text.stdout)")

        let json = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data, "--json"], environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        struct Status: Decodable { struct Model: Decodable { var task: String; var active: String; var activeSHA256: String }; var models: [Model]? }
        let parsed = try JSONDecoder().decode(Status.self, from: Data(json.stdout.utf8))
        #expect(parsed.models?.map(\.task) == ["chest-findings"])
        #expect(parsed.models?.first?.active == "chest-phantom-demo@2.0.1")
        #expect(parsed.models?.first?.activeSHA256.count == 64)
    }

    @Test("on a full disk import says so, keeps what it acknowledged, and the store stays sound", .enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func fullDisk() async throws {
        let folder = TemporaryDirectory("cli-full")
        let mount = folder.file("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try await ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mount])
        try #require(mounted.status == 0, "mount failed: \(mounted.stderr)")
        defer { _ = umount2(mount, Int32(MNT_DETACH)) }
        var files: [String] = []
        for index in 0..<12 {
            files.append(try folder.write("in/\(index).dcm", try SyntheticDICOM.make(payload: SyntheticDICOM.randomBytes(700_000))))
        }
        let data = mount + "/data"
        // Limits at zero so the file system itself runs out, mid-write or mid-commit.
        let environment = ["FLUOROBOX_RETENTION_HARD_LIMIT": "0", "FLUOROBOX_RETENTION_SOFT_LIMIT": "0"]
        let result = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data] + files, environment: environment)
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == files.count)
        let stored = lines.filter { $0.hasPrefix("stored ") }
        let failed = lines.filter { $0.hasPrefix("FAILED") }
        #expect(stored.count >= 3 && failed.count >= 1, "\(lines)")
        #expect(failed.allSatisfy { $0.contains("not enough storage") }, "\(failed)")

        // Every acknowledged file is in the store with its hash; the database is sound.
        let document = try await Self.studies(data)
        #expect(document.instances.count == stored.count)
        for line in stored {
            let sha = String(line.split(separator: " ")[1])
            let blob = FileManager.default.contents(atPath: "\(data)/blobs/\(sha.prefix(2))/\(sha)")
            #expect(blob.map { SHA256Check.hex(Array($0)) } == sha)
        }
        let queue = try DatabaseQueue(path: data + "/store.sqlite")
        await #expect(try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") } == ["ok"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/tmp").isEmpty)

        // With a hard limit the store refuses before the disk is full, and says why.
        let refused = try await ProcessRunner.run(
            Self.fluorobox, ["import", "--data-dir", data, files[0], files.last!],
            environment: ["FLUOROBOX_RETENTION_HARD_LIMIT": "50%", "FLUOROBOX_RETENTION_SOFT_LIMIT": "60%"]
        )
        #expect(refused.stdout.contains("duplicate "))
        #expect(refused.stdout.contains("FAILED") && refused.stdout.contains("the hard limit keeps"), "\(refused.stdout)")
    }
}
