import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import StudyStore
import Sync
import Testing

/// Storage Commitment Push Model against pynetdicom as the modality (tools/python/commitment_scu.py):
/// C-STORE then N-ACTION on one association, the report on that association or, once it has
/// ended, on a new one the box opens to the modality's address in `dicom.peers`.
@Suite("Storage commitment with pynetdicom", .serialized, .enabled(if: venvPython != nil, "no .venv with pynetdicom (tools/install-deps makes it)"))
struct StorageCommitmentInteropTests {
    static let script = TestData.packageRoot + "/tools/python/commitment_scu.py"
    static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"
    static let ct = "1.2.840.10008.5.1.4.1.1.2"

    struct Report: Decodable, Equatable {
        var association: String
        var calling_ae: String
        var event_type: Int
        var transaction_uid: String
        var committed: [[String]]
        var failed: [[ScriptValue]]
    }

    /// Failed items mix UIDs and the numeric reason.
    enum ScriptValue: Decodable, Equatable {
        case text(String)
        case number(Int)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }
    }

    struct Outcome: Decodable {
        var reports: [Report]
        var n_action_status: Int?
        var transaction_uid: String?
        var store: [Int?]?
        var error: String?
    }

    func run(_ arguments: [String]) async throws -> Outcome {
        let result = try await runTool(venvPython!, [Self.script] + arguments)
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(line.utf8)) else {
            Issue.record("commitment_scu.py printed no result (status \(result.status)): \(result.stdout)\(result.stderr)")
            throw CancellationError()
        }
        if let error = outcome.error {
            Issue.record("commitment_scu.py: \(error)\n\(result.stderr)")
        }
        return outcome
    }

    func sendArguments(port: Int, files: [String]) -> [String] {
        ["send", "--port", "\(port)", "--ae", "MODALITY", "--called", ListenerFixture.aeTitle, "--timeout", "60", "--debug", "--store"] + files
    }

    func reporter(_ fixture: ListenerFixture, peers: [DICOMPeer]) -> StorageCommitmentReporter {
        StorageCommitmentReporter(
            store: fixture.store, receiver: fixture.commitments!, peers: peers, aeTitle: ListenerFixture.aeTitle,
            backoff: BackoffPolicy(initial: 0.3, maximum: 1), pollInterval: .milliseconds(100), logger: quietLogger
        )
    }

    /// Waits until the store says the commitment is no longer pending (the modality's answer is
    /// recorded a moment after the script has its report).
    /// Up to 30 s: the socket suites share two pool threads, and under the fleet proof beside
    /// them the reporter's bookkeeping after the modality's answer once took longer than 5 s.
    func waitUntilReported(_ store: StudyStore, _ transactionUID: String) async throws -> Bool {
        for _ in 0..<1500 {
            if try store.pendingCommitment(transactionUID: transactionUID) == nil { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("every instance stored: event type 1 on the same association, all listed, nothing failed")
    func allStoredSameAssociation() async throws {
        let fixture = try await ListenerFixture(label: "commitment-same", storageCommitment: true)
        let files = try Corpus.write(count: 3, into: fixture.folder, subfolder: "in")
        let outcome = try await run(sendArguments(port: fixture.port, files: files.map(\.path)) + ["--commit-stored", "--wait-same"])
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
        #expect(outcome.store == [0, 0, 0])
        #expect(outcome.n_action_status == 0)
        let report = try #require(outcome.reports.first)
        #expect(outcome.reports.count == 1)
        #expect(report.association == "same")
        #expect(report.event_type == 1)
        #expect(report.transaction_uid == outcome.transaction_uid)
        #expect(Set(report.committed) == Set(files.map { [Self.secondaryCapture, $0.uid] }))
        #expect(report.failed.isEmpty)
        #expect(try await waitUntilReported(fixture.store, report.transaction_uid))
        await fixture.stop()
    }

    struct Failing: Sendable, CustomTestStringConvertible {
        var name: String
        /// Builds the failing reference from the stored instance's UID.
        var reference: @Sendable (String) -> (sopClass: String, sopInstance: String)
        var reason: Int
        var testDescription: String { name }
    }

    static let failing: [Failing] = [
        Failing(name: "an unknown SOP Instance UID fails with 0x0112", reference: { _ in (secondaryCapture, DICOMUID.random()) }, reason: 0x0112),
        Failing(name: "a stored instance asked about as CT fails with 0x0119", reference: { (ct, $0) }, reason: 0x0119),
    ]

    @Test("one reference not held: event type 2, the stored one committed, the other failed with its reason", arguments: failing)
    func oneFails(_ failing: Failing) async throws {
        let fixture = try await ListenerFixture(label: "commitment-fail", storageCommitment: true)
        let files = try Corpus.write(count: 1, into: fixture.folder, subfolder: "in")
        let bad = failing.reference(files[0].uid)
        let outcome = try await run(sendArguments(port: fixture.port, files: files.map(\.path)) + [
            "--commit-stored", "--wait-same", "--commit", "\(bad.sopClass)/\(bad.sopInstance)",
        ])
        #expect(outcome.n_action_status == 0)
        let report = try #require(outcome.reports.first, "\(outcome.error ?? "")")
        #expect(report.association == "same")
        #expect(report.event_type == 2)
        #expect(report.committed == [[Self.secondaryCapture, files[0].uid]])
        #expect(report.failed == [[.text(bad.sopClass), .text(bad.sopInstance), .number(failing.reason)]])
        await fixture.stop()
    }

    @Test("an N-ACTION of another action type is refused with 0x0123; no report is owed or sent")
    func wrongActionType() async throws {
        let fixture = try await ListenerFixture(label: "commitment-action", storageCommitment: true)
        let files = try Corpus.write(count: 1, into: fixture.folder, subfolder: "in")
        let result = try await runTool(venvPython!, [Self.script] + sendArguments(port: fixture.port, files: files.map(\.path)) + [
            "--commit-stored", "--action-type", "2", "--wait-same", "--timeout", "10",
        ])
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data((result.stdout.split(separator: "\n").last ?? "").utf8))
        #expect(outcome.n_action_status == 0x0123)
        #expect(outcome.reports.isEmpty)
        #expect(try fixture.store.pendingCommitmentCount() == 0)
        await fixture.stop()
    }

    @Test("released before the report: it arrives on a new association to the modality's configured address")
    func releasedThenNewAssociation() async throws {
        let fixture = try await ListenerFixture(label: "commitment-new", storageCommitment: true)
        let modalityPort = try freePort()
        let reporting = Task { [reporter = reporter(fixture, peers: [DICOMPeer(aeTitle: "MODALITY", host: "127.0.0.1", port: modalityPort)])] in
            await reporter.run()
        }
        defer { reporting.cancel() }
        let files = try Corpus.write(count: 2, into: fixture.folder, subfolder: "in")
        let outcome = try await run(sendArguments(port: fixture.port, files: files.map(\.path)) + ["--commit-stored", "--listen", "\(modalityPort)"])
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
        #expect(outcome.n_action_status == 0)
        let report = try #require(outcome.reports.first)
        #expect(outcome.reports.count == 1)
        #expect(report.association == "new")
        #expect(report.calling_ae == ListenerFixture.aeTitle)
        #expect(report.event_type == 1)
        #expect(report.transaction_uid == outcome.transaction_uid)
        #expect(Set(report.committed) == Set(files.map { [Self.secondaryCapture, $0.uid] }))
        #expect(try await waitUntilReported(fixture.store, report.transaction_uid))
        await fixture.stop()
    }

    @Test("the modality is down when the report is due: it is retried with backoff and delivered once it listens")
    func peerDownThenUp() async throws {
        let fixture = try await ListenerFixture(label: "commitment-retry", storageCommitment: true)
        // Held until the modality comes up: refused meanwhile, and no other suite's server takes it.
        let reserved = try ReservedPort()
        let modalityPort = reserved.port
        let reporting = Task { [reporter = reporter(fixture, peers: [DICOMPeer(aeTitle: "MODALITY", host: "127.0.0.1", port: modalityPort)])] in
            await reporter.run()
        }
        defer { reporting.cancel() }
        let files = try Corpus.write(count: 1, into: fixture.folder, subfolder: "in")
        let sent = try await run(sendArguments(port: fixture.port, files: files.map(\.path)) + ["--commit-stored"])
        let transaction = try #require(sent.transaction_uid)
        #expect(sent.n_action_status == 0)
        // Nothing listens yet: wait for two failed attempts.
        var pending: PendingCommitment?
        for _ in 0..<500 {
            pending = try fixture.store.pendingCommitment(transactionUID: transaction)
            if (pending?.attempts ?? 0) >= 2 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect((pending?.attempts ?? 0) >= 2, "\(String(describing: pending))")
        #expect(pending?.lastError?.contains("connection failed") == true, "\(pending?.lastError ?? "")")
        reserved.release()
        let outcome = try await run(["listen", "--listen", "\(modalityPort)", "--ae", "MODALITY", "--timeout", "30"])
        let report = try #require(outcome.reports.first, "\(outcome.error ?? "")")
        #expect(report.association == "new")
        #expect(report.transaction_uid == transaction)
        #expect(report.committed == [[Self.secondaryCapture, files[0].uid]])
        #expect(try await waitUntilReported(fixture.store, transaction))
        await fixture.stop()
    }

    @Test("the agent restarts between the N-ACTION and the report: the store still owes it, and it is delivered")
    func restartBeforeReport() async throws {
        let first = try await ListenerFixture(label: "commitment-restart", storageCommitment: true)
        // The first run knows no address for MODALITY: the report waits, logged, nothing crashes.
        let unknownPeer = Task { [reporter = reporter(first, peers: [])] in await reporter.run() }
        let files = try Corpus.write(count: 1, into: first.folder, subfolder: "in")
        let sent = try await run(sendArguments(port: first.port, files: files.map(\.path)) + ["--commit-stored"])
        let transaction = try #require(sent.transaction_uid)
        #expect(sent.n_action_status == 0)
        var pending: PendingCommitment?
        for _ in 0..<500 {
            pending = try first.store.pendingCommitment(transactionUID: transaction)
            if pending?.lastError?.contains("dicom.peers") == true { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(pending?.lastError?.contains("no address for AE title MODALITY in dicom.peers") == true, "\(String(describing: pending))")
        unknownPeer.cancel()
        await first.stop()

        let modalityPort = try freePort()
        let second = try await ListenerFixture(label: "commitment-restart", storageCommitment: true, folder: first.folder)
        let reporting = Task { [reporter = reporter(second, peers: [DICOMPeer(aeTitle: "MODALITY", host: "127.0.0.1", port: modalityPort)])] in
            await reporter.run()
        }
        defer { reporting.cancel() }
        let outcome = try await run(["listen", "--listen", "\(modalityPort)", "--ae", "MODALITY", "--timeout", "30"])
        let report = try #require(outcome.reports.first, "\(outcome.error ?? "")")
        #expect(report.association == "new")
        #expect(report.transaction_uid == transaction)
        #expect(report.event_type == 1)
        #expect(report.committed == [[Self.secondaryCapture, files[0].uid]])
        #expect(try await waitUntilReported(second.store, transaction))
        await second.stop()
    }

    @Test("fluorobox serve with FLUOROBOX_DICOM_PEERS: a released modality gets its report on a new association, and the agent stops cleanly")
    func agentReportsToConfiguredPeer() async throws {
        let folder = TemporaryDirectory("commitment-agent")
        let data = folder.file("data")
        let modalityPort = try freePort()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_DICOM_PEERS"] = "OTHER=127.0.0.1:1,MODALITY=127.0.0.1:\(modalityPort)"
        environment["FLUOROBOX_PANEL_PORT"] = "0"
        environment["FLUOROBOX_PANEL_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_ANALYSIS_ENABLED"] = "false"
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
        var port: Int?
        for _ in 0..<300 {
            if let json = try? Data(contentsOf: URL(fileURLWithPath: data + "/run/agent.json")),
               let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
               object["state"] as? String == "ready", let listeners = object["listeners"] as? [String: Int] {
                port = listeners["dicom"]
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let dicomPort = try #require(port, "the agent never became ready")
        let files = try Corpus.write(count: 1, into: folder, subfolder: "in")
        let outcome = try await run(sendArguments(port: dicomPort, files: files.map(\.path)) + ["--commit-stored", "--listen", "\(modalityPort)"])
        #expect(outcome.n_action_status == 0)
        let report = try #require(outcome.reports.first)
        #expect(report.association == "new")
        #expect(report.calling_ae == "FLUOROBOX")
        #expect(report.event_type == 1)
        #expect(report.committed == [[Self.secondaryCapture, files[0].uid]])
        kill(serve.processIdentifier, SIGTERM)
        for _ in 0..<150 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0)
    }
}
