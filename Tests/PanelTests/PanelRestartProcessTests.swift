import BrowserTesting
import Appliance
import FluoroboxTestSupport
import Foundation
import Panel
import StudyStore
import Testing

/// The device page's restart against a real `fluorobox serve`: the services stop and start again
/// in the same process, and the box keeps taking images afterwards.
@Suite("Panel restart of a running agent", .serialized)
struct PanelRestartProcessTests {
    /// curl with a cookie jar (the panel's cookies are Secure; `panel.secureCookies` is off here
    /// because curl keeps Secure cookies only over https).
    struct Curl {
        let jar: String

        func run(_ arguments: [String]) async throws -> (code: Int, body: String) {
            let result = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-b", jar, "-c", jar, "-w", "\n%{http_code}"] + arguments)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }

        func get(_ url: String) async throws -> (code: Int, body: String) { try await run([url]) }

        func post(_ url: String, _ form: [String: String]) async throws -> (code: Int, body: String) {
            try await run((form.isEmpty ? ["--data", ""] : form.flatMap { ["--data-urlencode", "\($0.key)=\($0.value)"] }) + [url])
        }
    }

    static func waitForReady(_ data: String, after: Date? = nil) async throws -> AgentStateFile.Contents {
        for _ in 0..<1200 {
            if let state = RunStateFiles(directory: .init(path: data)).agentState(), state.state == "ready", state.listeners["panel"] != nil,
               after.map({ state.startedAt > $0 }) ?? true {
                return state
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    @Test("restart from the device page restarts every service in the same process; the session holds and intake goes on")
    func restartRunningAgent() async throws {
        let folder = TemporaryDirectory("panel-restart")
        let data = folder.file("data")
        let inbox = folder.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try PanelCredentials.setPassword("restart-tech-1", for: .technician, dataDirectory: data)
        try PanelCredentials.setPassword("restart-doc-2", for: .doctor, dataDirectory: data)

        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_PANEL_PORT"] = "0"
        environment["FLUOROBOX_PANEL_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_PANEL_SECURE_COOKIES"] = "false"
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_WATCH_FOLDER"] = inbox
        environment["FLUOROBOX_WATCH_INTERVAL_SECONDS"] = "0.2"
        environment["FLUOROBOX_WATCH_SETTLE_SECONDS"] = "0.2"
        environment["FLUOROBOX_ANALYSIS_ENABLED"] = "false"
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        let before = try await Self.waitForReady(data)
        let base = "http://127.0.0.1:\(before.listeners["panel"]!)"
        let curl = Curl(jar: folder.file("cookies.txt"))
        let login = try await curl.get(base + "/login")
        let loginToken = try #require(Browser.hiddenField("csrf", in: login.body))
        let loggedIn = try await curl.post(base + "/login", ["csrf": loginToken, "role": "technician", "password": "restart-tech-1", "next": "/device"])
        #expect(loggedIn.code == 303)
        let device = try await curl.get(base + "/device")
        #expect(device.code == 200 && device.body.contains("restart-services"))
        let token = try #require(Browser.hiddenField("csrf", in: device.body))

        // Without the token nothing happens.
        #expect(try await curl.post(base + "/device/restart", [:]).code == 403)
        try await Task.sleep(for: .milliseconds(800))
        #expect(RunStateFiles(directory: .init(path: data)).agentState()?.startedAt == before.startedAt)

        let restart = try await curl.post(base + "/device/restart", ["csrf": token])
        #expect(restart.code == 200 && restart.body.contains("Restarting the agent"))

        let after = try await Self.waitForReady(data, after: before.startedAt)
        #expect(serve.isRunning)
        #expect(after.pid == before.pid, "a restart of the services, not of the process")
        #expect(after.listeners["dicom"] != nil)

        // The panel is back (a new port: it asked for 0) and the technician is still logged in.
        let again = "http://127.0.0.1:\(after.listeners["panel"]!)"
        let status = try await curl.get(again + "/status")
        #expect(status.code == 200 && status.body.contains("Capture sources"), "session lost across the restart: \(status.code)")

        // Intake goes on after the restart: a file dropped into the watched folder is stored.
        let image = folder.file("capture.dcm")
        try Data(SyntheticDICOM.make(patientName: "RESTART^TEST")).write(to: URL(fileURLWithPath: image))
        try FileManager.default.moveItem(atPath: image, toPath: inbox + "/capture.dcm")
        var studies = 0
        for _ in 0..<300 where studies == 0 {
            try await Task.sleep(for: .milliseconds(100))
            let metrics = try await curl.get(again + "/metrics")
            studies = metrics.body.firstMatch(of: /fluorobox_studies (\d+)/).flatMap { Int($0.1) } ?? 0
        }
        #expect(studies == 1, "the watched folder was not read after the restart")

        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        #expect(serve.terminationStatus == 0)
        #expect(RunStateFiles(directory: .init(path: data)).agentState()?.state == "stopped")
    }

    @Test("SIGTERM right after a restart request stops the agent for good (the window between two groups is not hit deterministically)")
    func stopDuringRestart() async throws {
        let folder = TemporaryDirectory("panel-restart-stop")
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try PanelCredentials.setPassword("restart-tech-1", for: .technician, dataDirectory: data)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_PANEL_PORT"] = "0"
        environment["FLUOROBOX_PANEL_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_PANEL_SECURE_COOKIES"] = "false"
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_ANALYSIS_ENABLED"] = "false"
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        let before = try await Self.waitForReady(data)
        let base = "http://127.0.0.1:\(before.listeners["panel"]!)"
        let curl = Curl(jar: folder.file("cookies.txt"))
        let login = try await curl.get(base + "/login")
        _ = try await curl.post(base + "/login", ["csrf": try #require(Browser.hiddenField("csrf", in: login.body)), "role": "technician", "password": "restart-tech-1"])
        let token = try #require(Browser.hiddenField("csrf", in: try await curl.get(base + "/device").body))
        #expect(try await curl.post(base + "/device/restart", ["csrf": token]).code == 200)
        // The restart begins half a second after the answer; the stop lands in or around it.
        try await Task.sleep(for: .milliseconds(600))
        kill(serve.processIdentifier, SIGTERM)
        for _ in 0..<300 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning, "the agent went on after SIGTERM")
        if !serve.isRunning { #expect(serve.terminationStatus == 0) }
    }
}
