import Foundation
import FluoroboxTestSupport
import Glibc
import POSIXSupport
import StudyStore
import SyncFixtures
import Testing

@Suite("The agent killed mid upload", .serialized)
struct AgentKillTests {
    static func serve(data: String, hubURL: String, crashAt: String?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        process.arguments = ["serve", "--data-dir", data, "--hub-url", hubURL]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_CRASH_AT"] = crashAt
        environment["FLUOROBOX_DICOM_ENABLED"] = "false"
        environment["FLUOROBOX_SYNC_CHUNK_SIZE"] = "256KB"
        environment["FLUOROBOX_SYNC_BACKOFF_INITIAL_SECONDS"] = "0.1"
        environment["FLUOROBOX_SYNC_BACKOFF_MAXIMUM_SECONDS"] = "1"
        environment["FLUOROBOX_SYNC_DEVICE_ID"] = "box-kill-1"
        environment["FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP"] = "true"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("fluorobox serve SIGKILLed in the middle of upload chunks, three times: the hub still holds every item exactly once, each resumed from its last durable chunk")
    func agentKilledMidUpload() async throws {
        let box = TemporaryDirectory("sync-kill-box")
        let hubDirectory = TemporaryDirectory("sync-kill-hub")
        let data = box.file("data")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: data)), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 6, instanceBytes: 1 << 20, results: 10, seed: 5)

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let url = "http://127.0.0.1:\(hubPort)"

        // Three lives that end by SIGKILL at a slice inside a chunk, then one that finishes.
        var kills = 0
        for crash in ["sync-mid-chunk:3", "sync-mid-chunk:4", "sync-mid-chunk:2"] {
            let agent = try Self.serve(data: data, hubURL: url, crashAt: crash)
            try await BlockingIO.run { agent.waitUntilExit() }
            if agent.terminationReason == .uncaughtSignal && agent.terminationStatus == SIGKILL { kills += 1 }
        }
        #expect(kills == 3, "the agent was to die by SIGKILL three times")
        let partial = try SyncFixture.platformStates(store)
        #expect(partial["sent", default: 0] < expected.all.count, "the kills came too late to interrupt: \(partial)")

        let agent = try Self.serve(data: data, hubURL: url, crashAt: nil)
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        var states: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            states = try SyncFixture.platformStates(store)
            if states["sent", default: 0] == expected.all.count { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        // The read side: fluorobox status shows the destination's sync while the agent runs.
        let status = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", data])
        #expect(status.stdout.contains("Sync:       platform idle, last success"), "\(status.stdout)")
        #expect(status.stdout.contains("platform: 0 unsent"), "\(status.stdout)")
        agent.terminate()
        try await BlockingIO.run { agent.waitUntilExit() }
        #expect(agent.terminationStatus == 0, "the agent stops cleanly on SIGTERM")
        #expect(states["sent"] == expected.all.count, "\(states)")

        let held = try await HubList.items(dataDirectory: hubDirectory.path)
        #expect(held.count == expected.all.count)
        #expect(Set(held.map(\.key)) == expected.all)
        let attempts = try SyncFixture.attempts(store)
        var resent: Int64 = 0
        for item in held where item.kind == "instance" {
            let interruptions = max(0, (attempts[item.key] ?? 1) - 1)
            #expect(item.bytesResent <= Int64(256 * 1024 * interruptions), "\(item.key): \(item.bytesResent) bytes resent over \(interruptions) interruptions")
            #expect(item.sha256 == expected.instances[item.key])
            resent += item.bytesResent
        }
        #expect(resent > 0, "a torn chunk was to be dropped and resent: \(held.map { ($0.kind, $0.bytesResent, attempts[$0.key] ?? 0) }) partial \(partial)")
    }
}
