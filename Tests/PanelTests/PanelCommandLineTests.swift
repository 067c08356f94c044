import Appliance
import FluoroboxTestSupport
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Panel
import StudyStore
import Testing

/// `fluorobox serve` with its panel, and `fluorobox selftest` / `diagnostics`, as processes.
@Suite("Panel from the command line", .serialized)
struct PanelCommandLineTests {
    static func fetch(_ url: String) async throws -> (status: Int, body: String, finalPath: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        let http = response as! HTTPURLResponse
        return (http.statusCode, String(decoding: data, as: UTF8.self), http.url?.path ?? "")
    }

    @Test("serve runs the panel: first-start passwords printed once, health and metrics open, pages behind the login")
    func servePanel() async throws {
        let folder = TemporaryDirectory("panel-serve")
        let data = folder.file("data")
        let output = folder.file("stdout.txt")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_PANEL_PORT"] = "0"
        environment["FLUOROBOX_PANEL_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
        serve.environment = environment
        serve.standardOutput = FileHandle(forWritingAtPath: output)
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        var port: Int?
        for _ in 0..<1200 {
            if let state = RunStateFiles(directory: .init(path: data)).agentState(), state.state == "ready", let panel = state.listeners["panel"] {
                port = panel
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let panelPort = try #require(port)
        let base = "http://127.0.0.1:\(panelPort)"
        #expect(try await Self.fetch(base + "/healthz").status == 200)
        #expect(try await Self.fetch(base + "/readyz").status == 200)
        let metrics = try await Self.fetch(base + "/metrics")
        #expect(metrics.status == 200 && metrics.body.contains("fluorobox_studies 0"))
        let status = try await Self.fetch(base + "/status")
        #expect(status.finalPath == "/login" && status.body.contains("Password"))

        // The passwords went to the console once; the file holds only their hashes.
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        let technician = try #require(printed.firstMatch(of: /technician password is ([a-z0-9-]+)/)?.1)
        let credentials = try PanelCredentials.loadOrCreate(dataDirectory: data).credentials
        #expect(credentials.hash(for: .technician)?.matches(String(technician)) == true)
        let stored = try String(contentsOfFile: PanelCredentials.path(dataDirectory: data), encoding: .utf8)
        #expect(!stored.contains(String(technician)))

        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        #expect(serve.terminationStatus == 0)

        // The agent's log is kept in run/agent.log too, and the diagnostics bundle carries it.
        let log = try String(contentsOfFile: data + "/run/agent.log", encoding: .utf8)
        #expect(log.contains("agent starting") && log.contains("agent ready") && log.contains("agent stopped"))
        let diagnostics = try await ProcessRunner.run(ProcessRunner.fluorobox, ["diagnostics", "--json", "--data-dir", data], environment: ["FLUOROBOX_DICOM_ENABLED": "false"])
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(diagnostics.stdout.utf8)) as? [String: Any])
        let logs = try #require(bundle["logs"] as? [[String: Any]])
        let agentLog = logs.first { ($0["path"] as? String)?.hasSuffix("/run/agent.log") == true }
        #expect((agentLog?["lines"] as? [String])?.contains { $0.contains("agent ready") } == true, "\(logs.map { $0["path"] ?? "" })")
        // The passwords went to the console only: neither the log file nor the bundle has them.
        #expect(!log.contains("password is") && !log.contains(String(technician)))
        #expect(!diagnostics.stdout.contains(String(technician)))

        // A second start prints no password.
        let again = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: ["FLUOROBOX_DICOM_ENABLED": "false"])
        #expect(!again.stdout.contains("password is"))
    }

    @Test("selftest and diagnostics: human and JSON, failing checks exit 1, no patient names in the bundle")
    func selfTestAndDiagnostics() async throws {
        let folder = TemporaryDirectory("panel-cli")
        let data = folder.file("data")
        let study = try folder.write("a.dcm", try SyntheticDICOM.make(patientName: "KUZNETSOVA^OLGA"))
        let imported = try await ProcessRunner.run(ProcessRunner.fluorobox, ["import", "--data-dir", data, study])
        #expect(imported.status == 0, "\(imported.stderr)")
        try await DemoModel.install(into: data + "/models")

        let quiet = ["FLUOROBOX_DICOM_ENABLED": "false", "FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"]
        let human = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet)
        #expect(human.status == 0, "\(human.stdout)\(human.stderr)")
        #expect(human.stdout.contains("PASS  store integrity") && human.stdout.contains("PASS  models reproduce their reference outputs"))
        #expect(human.stdout.contains("SKIP  destination platform reachable") && human.stdout.contains("self-test passed"))

        // With the DICOM listener configured but no agent running, the capture check fails.
        let failing = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--json", "--data-dir", data])
        #expect(failing.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any]
        let results = try #require(report?["results"] as? [[String: Any]])
        #expect(results.contains { $0["name"] as? String == "capture: DICOM listener answers C-ECHO" && $0["status"] as? String == "fail" })

        // The platform destination: unreachable fails, the reference hub (fluorobox-hub) passes.
        let unreachable = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet.merging(["FLUOROBOX_SYNC_HUB_URL": "http://127.0.0.1:9", "FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP": "true"]) { $1 })
        #expect(unreachable.status == 1 && unreachable.stdout.contains("FAIL  destination platform reachable"), "\(unreachable.stdout)")
        let hubBinary = (ProcessRunner.fluorobox as NSString).deletingLastPathComponent + "/fluorobox-hub"
        let hub = Process()
        hub.executableURL = URL(fileURLWithPath: hubBinary)
        hub.arguments = ["serve", "--data-dir", folder.file("hub"), "--port", "0", "--development-plain-http"]
        hub.standardOutput = FileHandle.nullDevice
        hub.standardError = FileHandle.nullDevice
        try hub.run()
        defer { if hub.isRunning { kill(hub.processIdentifier, SIGKILL) } }
        var hubPort: String?
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: folder.file("hub/hub.port"), encoding: .utf8), !text.isEmpty {
                hubPort = text.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let port = try #require(hubPort)
        let reachable = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet.merging(["FLUOROBOX_SYNC_HUB_URL": "http://127.0.0.1:\(port)", "FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP": "true"]) { $1 })
        #expect(reachable.status == 0 && reachable.stdout.contains("PASS  destination platform reachable"), "\(reachable.stdout)")

        // A PACS by DICOMweb: a closed port fails; an HTTP server that answers passes.
        let pacs = ["FLUOROBOX_OUTBOX_DESTINATIONS": "platform,dicomweb", "FLUOROBOX_SYNC_HUB_URL": "http://127.0.0.1:\(port)", "FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP": "true"]
        let pacsDown = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet.merging(pacs.merging(["FLUOROBOX_SYNC_DICOMWEB_URL": "http://127.0.0.1:9/dicom-web"]) { $1 }) { $1 })
        #expect(pacsDown.status == 1 && pacsDown.stdout.contains("FAIL  destination dicomweb reachable"), "\(pacsDown.stdout)")
        let pacsUp = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet.merging(pacs.merging(["FLUOROBOX_SYNC_DICOMWEB_URL": "http://127.0.0.1:\(port)/dicom-web"]) { $1 }) { $1 })
        #expect(pacsUp.status == 0 && pacsUp.stdout.contains("PASS  destination dicomweb reachable"), "\(pacsUp.stdout)")

        let bundlePath = folder.file("bundle.json")
        let summary = try await ProcessRunner.run(ProcessRunner.fluorobox, ["diagnostics", "--data-dir", data, "--output", bundlePath], environment: quiet)
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(summary.stdout.contains("Store: 1 studies, 1 instances") && summary.stdout.contains("bundle written to"))
        let json = try await ProcessRunner.run(
            ProcessRunner.fluorobox, ["diagnostics", "--json", "--data-dir", data],
            environment: quiet.merging(["FLUOROBOX_SYNC_HUB_URL": "http://box:hunter2secret@127.0.0.1:\(port)", "FLUOROBOX_SYNC_ALLOW_PLAIN_HTTP": "true"]) { $1 }
        )
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(bundle["studies"] as? Int == 1)
        let exported = try #require(bundle["configuration"] as? [String: String])
        #expect(exported["sync.hubURL"] == "http://127.0.0.1:\(port)" && !json.stdout.contains("hunter2secret"))
        #expect(exported["analysis.task"] != nil)
        #expect((bundle["system"] as? [String: Any])?["version"] as? String == Agent.version)
        for text in [json.stdout, try String(contentsOfFile: bundlePath, encoding: .utf8)] {
            #expect(!text.localizedCaseInsensitiveContains("KUZNETSOVA") && !text.localizedCaseInsensitiveContains("OLGA") && !text.contains("TEST-1"))
        }
    }

    @Test("status, studies --worklist: the panel's figures from the command line, human and JSON")
    func statusAndWorklist() async throws {
        let fixture = try await PanelFixture()
        let data = fixture.folder.path
        let status = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", data])
        #expect(status.status == 0, "\(status.stderr)")
        for text in ["Capacity:   about ", "Host:       ", "Outbox:     platform: 3 unsent", PanelFixture.failingError] {
            #expect(status.stdout.contains(text), "status lacks \(text): \(status.stdout)")
        }
        #expect(status.stdout.contains("temperature "))
        let statusJSON = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--json", "--data-dir", data])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.stdout.utf8)) as? [String: Any])
        #expect((report["daysOfCapacity"] as? Double ?? -1) >= 0)
        #expect(report["host"] is [String: Any])

        let worklist = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--worklist", "--data-dir", data])
        #expect(worklist.status == 0, "\(worklist.stderr)")
        // The fixture's reports do not state their model's use: a demonstration model's, marked
        // DEMO, with a last line saying what that means.
        var lines = worklist.stdout.split(separator: "\n")
        #expect(lines.last?.hasPrefix("DEMO: read by a demonstration model") == true)
        lines.removeLast()
        #expect(lines.count == 3)
        let normal = try #require(lines.firstIndex { $0.contains(fixture.normalUID) })
        #expect(lines.firstIndex { $0.contains(fixture.flaggedUID) }! < normal && lines.firstIndex { $0.contains(fixture.retakeUID) }! < normal)
        #expect(lines[normal].hasPrefix("DEMO,no findings") && worklist.stdout.contains("FLAGGED") && worklist.stdout.contains("RETAKE"))
        let worklistJSON = try await ProcessRunner.run(ProcessRunner.fluorobox, ["studies", "--worklist", "--json", "--data-dir", data])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(worklistJSON.stdout.utf8)) as? [String: Any])
        let entries = try #require(document["worklist"] as? [[String: Any]])
        #expect(entries.count == 3 && entries.last?["studyInstanceUID"] as? String == fixture.normalUID)
        #expect(entries.first?["flagged"] as? Bool == true || entries.first?["retakeAdvised"] as? Bool == true)
    }
}
