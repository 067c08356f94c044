import Appliance
import FluoroboxTestSupport
import Foundation
import Inference
import StudyStore
import Testing

/// The agent as a process against images that kill their reader: it stays up, the analysis
/// fails for good with its reason, and restarts do not bring the crash back.
@Suite("Hostile images cannot crash-loop the agent", .serialized)
struct HostileImageProcessTests {
    static var fluorobox: String { ProcessRunner.fluorobox }
    /// Trust for the shipped demo package, whatever the built-in default is.
    static let environment = ["FLUOROBOX_INFERENCE_TRUSTED_KEYS": ModelPublicKey.demoKeyText]

    struct Failed: Decodable {
        var id: Int64
        var attempts: Int
        var reason: String
        var sopInstanceUID: String
    }

    struct Listing: Decodable {
        struct Study: Decodable { var instances: [Instance] }
        struct Instance: Decodable {
            var sopInstanceUID: String
            var source: String
            var analysis: Analysis?
        }
        struct Analysis: Decodable {
            var status: String
            var error: String?
            var attempts: Int
        }
        var studies: [Study]
        var instances: [Instance] { studies.flatMap(\.instances) }
    }

    /// A data folder with the demo model installed and active.
    static func prepare(_ folder: TemporaryDirectory) async throws -> String {
        let data = folder.file("data")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: DemoModel.path + "/manifest.json"))) as? [String: Any]
        let reference = "\(manifest?["id"] as? String ?? "")@\(manifest?["version"] as? String ?? "")"
        for arguments in [["model", "install", DemoModel.path], ["model", "activate", reference]] {
            let result = try await ProcessRunner.run(fluorobox, arguments + ["--data-dir", data], environment: environment)
            try #require(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return data
    }

    /// Starts `fluorobox serve` and waits until it says ready.
    static func start(_ data: String, extra: [String: String] = [:]) async throws -> Process {
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0", "--panel-port", "0"]
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["FLUOROBOX_ANALYSIS_POLL_SECONDS"] = "0.2"
        for (key, value) in extra { env[key] = value }
        serve.environment = env
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        for _ in 0..<300 {
            if let state = RunStateFiles(directory: .init(path: data)).agentState(), state.pid == serve.processIdentifier, state.state == "ready" {
                return serve
            }
            try #require(serve.isRunning, "the agent stopped while starting")
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the agent did not become ready")
    }

    static func stop(_ serve: Process) async throws {
        kill(serve.processIdentifier, SIGTERM)
        for _ in 0..<150 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0, "the agent did not stop cleanly")
    }

    /// Starts the agent twice more, each time checking it stays up a second and `check` holds.
    static func restartTwice(_ data: String, check: () async throws -> Void = {}) async throws {
        for _ in 0..<2 {
            let again = try await start(data)
            defer { if again.isRunning { kill(again.processIdentifier, SIGKILL) } }
            try await Task.sleep(for: .seconds(1))
            #expect(again.isRunning)
            try await check()
            try await stop(again)
        }
    }

    static func listing(_ data: String) async throws -> Listing {
        let result = try await ProcessRunner.run(fluorobox, ["studies", "--data-dir", data, "--json"])
        return try JSONDecoder().decode(Listing.self, from: Data(result.stdout.utf8))
    }

    static func failed(_ data: String) async throws -> [Failed] {
        let result = try await ProcessRunner.run(fluorobox, ["analysis", "failed", "--data-dir", data, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode([Failed].self, from: Data(result.stdout.utf8))
    }

    @Test("an image that kills its reader fails its analysis for good after the attempts; the agent stays up, across two restarts; a retry runs it again")
    func readerCrash() async throws {
        let folder = TemporaryDirectory("hostile-crash")
        let data = try await Self.prepare(folder)
        // Every analysis worker dies at the decoder the way a trapping decoder does (by a signal).
        let serve = try await Self.start(data, extra: ["FLUOROBOX_CRASH_AT": "analysis-worker.decode"])
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
        let image = try folder.write("study.dcm", try DemoStudy.makePart10(seed: 11, size: 256))
        let imported = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, image])
        try #require(imported.status == 0, "\(imported.stderr)")

        var failures: [Failed] = []
        for _ in 0..<300 where failures.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            #expect(serve.isRunning, "the agent died of the image")
            failures = try await Self.failed(data)
        }
        let failure = try #require(failures.first)
        #expect(failure.attempts == 3)
        #expect(failure.reason.contains("crashed the analysis process (SIGKILL)"), "\(failure.reason)")
        #expect(serve.isRunning)
        try await Self.stop(serve)

        // Two restarts: the failed analysis stays failed; nothing is re-run, nothing crashes.
        try await Self.restartTwice(data) { () async throws in
            let still = try await Self.failed(data).map(\.id)
            #expect(still == [failure.id])
        }

        // The technician retries it on an agent whose workers are sound: it is analysed.
        let healthy = try await Self.start(data)
        defer { if healthy.isRunning { kill(healthy.processIdentifier, SIGKILL) } }
        let retried = try await ProcessRunner.run(Self.fluorobox, ["analysis", "retry", String(failure.id), "--data-dir", data])
        #expect(retried.status == 0, "\(retried.stderr)")
        var status = ""
        for _ in 0..<300 where status != "done" && status != "skipped" {
            try await Task.sleep(for: .milliseconds(200))
            status = try await Self.listing(data).instances.first { $0.source == "import" }?.analysis?.status ?? ""
        }
        #expect(status == "done" || status == "skipped")
        let audit = try await ProcessRunner.run(Self.fluorobox, ["audit", "--data-dir", data])
        #expect(audit.stdout.contains("analysis.retried"))
        try await Self.stop(healthy)
    }

    @Test("every file of the hostile corpus, imported and sent by C-STORE: the agent stays up across two restarts, every analysis ends, the store is sound")
    func hostileCorpus() async throws {
        let corpus = TestData.packageRoot + "/Fuzz/Corpus/regression"
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted().map { corpus + "/" + $0 }
        try #require(files.count >= 20, "the hostile corpus (tools/fuzz/make-corpus.py) is missing")
        let folder = TemporaryDirectory("hostile-corpus")
        let data = try await Self.prepare(folder)
        let serve = try await Self.start(data)
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
        let state = try #require(RunStateFiles(directory: .init(path: data)).agentState())
        let port = try #require(state.listeners["dicom"])

        // Import refuses what it cannot identify (that is its answer, not a crash); C-STORE
        // sends what the sender can read at all.
        for file in files {
            _ = try await ProcessRunner.run(Self.fluorobox, ["import", "--data-dir", data, file])
            #expect(serve.isRunning, "the agent died after importing \(file)")
        }
        _ = try await ProcessRunner.run(Self.fluorobox, ["dicom", "send", "127.0.0.1", String(port), corpus, "--aec", "FLUOROBOX"])
        #expect(serve.isRunning, "the agent died of a C-STORE of the corpus")

        // Every analysis ends: done or skipped by the quality check, or failed with a reason.
        var open = -1
        for _ in 0..<600 where open != 0 {
            try await Task.sleep(for: .milliseconds(200))
            #expect(serve.isRunning)
            let analyses = try await Self.listing(data).instances.compactMap(\.analysis)
            open = analyses.filter { $0.status == "pending" || $0.status == "running" }.count
        }
        #expect(open == 0)
        let analyses = try await Self.listing(data).instances.compactMap(\.analysis)
        #expect(!analyses.isEmpty)
        for analysis in analyses where analysis.status == "failed" {
            #expect(!(analysis.error ?? "").isEmpty)
        }
        try await Self.stop(serve)
        try await Self.restartTwice(data)
        let status = try await ProcessRunner.run(Self.fluorobox, ["status", "--data-dir", data])
        #expect(status.stdout.contains("quick_check ok"), "\(status.stdout)")
    }
}
