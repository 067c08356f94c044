import BrowserTesting
import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import Testing

/// Staged rollouts on a real replica: 40 simulated devices of one region, a rollout in stages of
/// 5, 25 and 100 %, offered stage by stage through `GET /v1/models`, advanced by the devices'
/// `model-update` documents through the real API, halted by reference-check failures past the
/// threshold, resumed and rolled back with the operator's commands; every change audited.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct ModelRolloutTests {
    static let region = "Тверская область"
    static let devices = (0..<40).map { String(format: "box-%02d", $0) }
    static let old = "chest-2.1.0.fbmodel"
    static let new = "chest-2.2.0.fbmodel"

    static func hub(_ arguments: [String]) async throws -> String { try await ModelAssignmentTests.hub(arguments) }

    /// What `GET /v1/models` offers `device`: each file, with ` (rollback)` when so marked.
    static func offered(_ port: Int, device: String) async throws -> [String] {
        let answer = try await Curl.call(port: port, "GET", "/v1/models", device: device)
        try #require(answer.status == 200, "\(answer.status) \(answer.body)")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return (json?["models"] as? [[String: Any]] ?? []).compactMap { entry in
            (entry["file"] as? String).map { $0 + ((entry["rollback"] as? Bool) == true ? " (rollback)" : "") }
        }
    }

    /// The devices offered `file` (without the roll-back mark) now.
    static func offeredTo(_ file: String, port: Int) async throws -> [String] {
        var devices: [String] = []
        for device in Self.devices where try await offered(port, device: device).contains(file) { devices.append(device) }
        return devices
    }

    /// A box's `model-update` document through the real API, as ModelUpdateService queues it.
    static func report(_ port: Int, device: String, sha256: String, outcome: String, code: String? = nil, reason: String? = nil) async throws {
        var document: [String: Any] = ["device": device, "file": new, "sha256": sha256, "outcome": outcome, "at": "2026-12-07T12:00:00Z"]
        if outcome == "activated" { document["package"] = "chest@2.2.0" }
        if let code { document["code"] = code }
        if let reason { document["reason"] = reason }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
        let answer = try await Curl.call(port: port, "PUT", "/v1/model-updates/model-update:\(device):\(sha256)", device: device, body: body)
        try #require(answer.status == 201, "\(answer.status) \(answer.body)")
    }

    /// `model rollout show ID --json`: the rollout and its progress.
    static func show(_ id: Int, store: [String]) async throws -> (rollout: [String: Any], progress: [String: Any]) {
        let text = try await hub(["model", "rollout", "show", String(id), "--json"] + store)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (try #require(json["rollout"] as? [String: Any]), try #require(json["progress"] as? [String: Any]))
    }

    /// The whole story on a replica (`port`) driven by the commands on `store`.
    static func checkRollout(port: Int, catalog: TemporaryDirectory, store: [String]) async throws {
        for device in devices {
            _ = try await hub(["device", "set-institution", device, "--region", region, "--name", "ЦРБ № 2", "--tax-id", "7707083893"] + store)
        }
        for file in [old, new] {
            _ = try await hub(["model", "assign", file, "--region", region, "--catalog-dir", catalog.path, "--by", "ops"] + store)
        }
        let newSHA = SHA256Check.hex(Array(try Data(contentsOf: URL(fileURLWithPath: catalog.file(new)))))
        let refused = try await ProcessRunner.run(HubReplica.binary, ["model", "rollout", "start", new, "--region", region, "--stages", "5,50,25"] + store)
        #expect(refused.status != 0 && refused.stderr.contains("strictly increasing"), "\(refused.stderr)")

        let started = try await hub([
            "model", "rollout", "start", new, "--region", region, "--replaces", old, "--stages", "5,25,100",
            "--reference-failure-percent", "10", "--install-failure-percent", "10", "--by", "ops", "--json",
        ] + store)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(started.utf8)) as? [String: Any])?["id"] as? Int, "\(started)")
        let again = try await ProcessRunner.run(HubReplica.binary, ["model", "rollout", "start", new, "--region", region, "--replaces", old] + store)
        #expect(again.status != 0 && again.stderr.contains("rollout \(id) of this assignment is still running"), "\(again.stderr)")

        // The cohort order, computed here independently: SHA-256 of "<rollout id>:<device>".
        let cohort = devices.sorted { SHA256Check.hex(Array("\(id):\($0)".utf8)) < SHA256Check.hex(Array("\(id):\($1)".utf8)) }
        let (stage1, stage2) = (Array(cohort.prefix(2)), Array(cohort.prefix(10)))

        // Stage 1 (5 % of 40: 2 devices): only they are offered the new package; the others keep the old one.
        #expect(try await offeredTo(new, port: port) == stage1.sorted())
        #expect(try await offered(port, device: cohort[5]) == [old])
        let notYet = try await Curl.call(port: port, "GET", "/v1/models/\(new)", device: cohort[5])
        #expect(notYet.status == 404 && notYet.body.contains("only once its stage is reached"), "\(notYet.body)")
        #expect(try await Curl.call(port: port, "GET", "/v1/models/\(new)", device: stage1[0]).status == 200)

        try await report(port, device: stage1[0], sha256: newSHA, outcome: "activated")
        #expect(try await show(id, store: store).rollout["stage"] as? Int == 0, "one of two reported: still stage 1")
        try await report(port, device: stage1[1], sha256: newSHA, outcome: "activated")
        // Stage 2 (25 %: 10 devices) opened on the second activation, with exactly its cohort.
        #expect(try await show(id, store: store).rollout["stage"] as? Int == 1)
        #expect(try await offeredTo(new, port: port) == stage2.sorted())

        // Six of its eight new devices activate, two fail the reference check: 2 of 10 is past 10 %.
        for device in stage2[2..<8] { try await report(port, device: device, sha256: newSHA, outcome: "activated") }
        try await report(port, device: stage2[8], sha256: newSHA, outcome: "refused", code: "reference-check",
                         reason: "the package failed its reference check: finding nodule 0.41, expected 0.62")
        #expect(try await show(id, store: store).rollout["state"] as? String == "running", "1 of 10 is not above 10 %")
        try await report(port, device: stage2[9], sha256: newSHA, outcome: "refused", code: "reference-check",
                         reason: "the package failed its reference check: finding nodule 0.40, expected 0.62")
        let (halted, progress) = try await show(id, store: store)
        let reason = try #require(halted["reason"] as? String)
        #expect(halted["state"] as? String == "halted" && halted["stage"] as? Int == 1)
        #expect(reason.hasPrefix("2 of 10 devices of stage 2 of 3 (25 %) failed the package's reference check (20 %, threshold 10 %): \(stage2[8]) (the package failed its reference check: finding nodule 0.41"), "\(reason)")
        #expect(progress["activated"] as? Int == 8 && (progress["referenceFailures"] as? [Any])?.count == 2 && progress["population"] as? Int == 40)
        // Halted: no wider offer.
        #expect(try await offeredTo(new, port: port) == stage2.sorted())
        #expect(try await hub(["model", "rollout", "list"] + store).contains("halted: 2 of 10 devices"))

        // Resumed: the refusals before it are settled, the stage is done, stage 3 (everyone) opens at once.
        let resumed = try await hub(["model", "rollout", "resume", String(id), "--by", "ops", "--json"] + store)
        let afterResume = try #require(try JSONSerialization.jsonObject(with: Data(resumed.utf8)) as? [String: Any])
        #expect(afterResume["state"] as? String == "running" && afterResume["stage"] as? Int == 2 && afterResume["reason"] == nil, "\(resumed)")
        #expect(try await offeredTo(new, port: port) == devices)
        let resumeAgain = try await ProcessRunner.run(HubReplica.binary, ["model", "rollout", "resume", String(id)] + store)
        #expect(resumeAgain.status != 0 && resumeAgain.stderr.contains("not halted"), "\(resumeAgain.stderr)")

        // Five more activate; then the operator rolls back.
        let stage3 = Array(cohort[10..<15])
        for device in stage3 { try await report(port, device: device, sha256: newSHA, outcome: "activated") }
        _ = try await hub(["model", "rollout", "rollback", String(id), "--by", "root"] + store)
        let activated = Set(stage2.prefix(8) + stage3)
        for device in devices {
            let expected = activated.contains(device) ? ["\(old) (rollback)"] : [old]
            #expect(try await offered(port, device: device) == expected, "\(device)")
        }
        #expect(try await Curl.call(port: port, "GET", "/v1/models/\(new)", device: stage1[0]).status == 404)
        #expect(try await Curl.call(port: port, "GET", "/v1/models/\(old)", device: stage1[0]).status == 200)
        #expect(try await show(id, store: store).rollout["state"] as? String == "rolled-back")
    }

    /// The audit of the story: who did what, in order.
    static let auditActions = [
        "ops model.rollout.start", "hub model.rollout.advance", "hub model.rollout.halt", "ops model.rollout.resume",
        "hub model.rollout.advance", "root model.rollout.rollback",
    ]

    @Test("PostgreSQL: a rollout over 40 devices advances stage by stage on their reports, halts past the reference-check threshold with the reason, resumes and rolls back")
    func postgresRollout() async throws {
        let server = try await PostgresServer.start("pg-rollout")
        let url = try await server.createDatabase("hub")
        let catalog = try ModelAssignmentTests.catalog("pg-rollout-catalog")
        let staging = TemporaryDirectory("pg-rollout-staging")
        let replica = try await HubReplica(database: url, staging: staging.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkRollout(port: replica.port, catalog: catalog, store: ["--database", url])
        await replica.stop()
        let audit = try await server.sql(
            "SELECT actor || ' ' || action FROM console_audit WHERE action LIKE 'model.rollout.%' ORDER BY id", database: "hub")
        #expect(audit.split(separator: "\n").map(String.init) == Self.auditActions, "\(audit)")
        let halt = try await server.sql("SELECT detail FROM console_audit WHERE action = 'model.rollout.halt'", database: "hub")
        #expect(halt.contains("halted, stage 2 of 3 (25 %)") && halt.contains("failed the package's reference check"), "\(halt)")
        #expect(try await server.sql("SELECT state, stage, revision FROM model_rollout", database: "hub") == "rolled-back|2|5")
        try await server.stop()
    }

    @Test("the console's Models page: a viewer sees rollouts and may not change them; an operator starts one, sees its halt with the reason, resumes and rolls it back, audited; Russian too")
    func consoleRollouts() async throws {
        let catalog = try ModelAssignmentTests.catalog("console-rollout-catalog")
        var settings = ConsoleTests.quickSettings
        settings.catalogDirectory = catalog.path
        try await ConsoleTests.withConsole("pg-console-rollouts", settings: settings) { server, store, client in
            for device in Self.devices.prefix(4) {
                try await store.setInstitution(DeviceInstitution(region: Self.region, name: "ЦРБ № 2", taxID: "7707083893", oid: nil), device: device)
            }
            let old = try await store.assignModel(try ModelAssignment.of(file: Self.old, in: catalog.path, target: .region(Self.region), assignedBy: "ops"))
            let new = try await store.assignModel(try ModelAssignment.of(file: Self.new, in: catalog.path, target: .region(Self.region), assignedBy: "ops"))
            let start = [
                "assignment": String(new.id), "replaces": String(old.id), "stages": "50,100", "install-failure": "10", "reference-failure": "0",
                "disagree": "20", "minimum-reviewed": "50",
            ]

            var viewer = Browser(client)
            _ = try await viewer.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            #expect(String(buffer: try await viewer.get("/models").body).contains("id=\"no-rollouts\""))
            #expect(try await viewer.submit("/models/rollouts/start", start).status == .forbidden)
            var operatorBrowser = Browser(client)
            _ = try await operatorBrowser.logIn("ops", password: ConsoleTests.passwords["ops"]!)
            #expect(String(buffer: try await operatorBrowser.get("/models").body).contains("id=\"start-rollout\""))
            var noToken = start
            noToken["csrf"] = "not-the-session-token"
            #expect(try await operatorBrowser.post("/models/rollouts/start", noToken).status == .forbidden)
            var badStages = start
            badStages["stages"] = "50,25"
            #expect(try await operatorBrowser.submit("/models/rollouts/start", badStages).status == .badRequest)
            #expect(try await store.modelRollouts().isEmpty)
            #expect(try await operatorBrowser.submit("/models/rollouts/start", start).status == .seeOther)
            let rollout = try #require(try await store.modelRollouts().first)
            #expect(rollout.stages == [50, 100] && rollout.replaces?.file == Self.old && rollout.thresholds.referenceFailurePercent == 0)

            // One reference-check failure in the first stage is past 0 %: halted, and the page says why.
            let device = rollout.cohortOrder(Self.devices.prefix(4))[0]
            let body = Array(try JSONSerialization.data(withJSONObject: [
                "device": device, "file": Self.new, "sha256": new.sha256, "outcome": "refused", "code": "reference-check",
                "reason": "the package failed its reference check: case nodule", "at": "2026-12-07T12:00:00Z",
            ]))
            _ = try await store.putDocument(key: "model-update:\(device):\(new.sha256)", kind: "model-update", device: device, serial: nil, document: DocumentBody(body))
            try await RolloutSupervisor(store: store, logger: quietLogger).evaluate()
            let page = String(buffer: try await viewer.get("/models").body)
            #expect(page.contains("id=\"rollout-\(rollout.id)-state\" data-state=\"halted\"") && page.contains("id=\"rollout-\(rollout.id)-reason\">1 of 2 devices of stage 1 of 2 (50 %) failed the package"), "\(page)")
            #expect(!page.contains("id=\"rollout-\(rollout.id)-resume\""), "a viewer gets no buttons")
            #expect(try await viewer.submit("/models/rollouts/\(rollout.id)/resume", [:]).status == .forbidden)
            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let ru = String(buffer: try await russian.get("/models").body)
            #expect(ru.contains("Поэтапное внедрение") && ru.contains(">остановлено<"), "\(ru)")

            let withButtons = String(buffer: try await operatorBrowser.get("/models").body)
            #expect(withButtons.contains("id=\"rollout-\(rollout.id)-resume\"") && withButtons.contains("id=\"rollout-\(rollout.id)-rollback\""))
            #expect(try await operatorBrowser.submit("/models/rollouts/\(rollout.id)/resume", [:]).status == .seeOther)
            #expect(try await store.modelRollouts().first?.state == .running)
            #expect(try await operatorBrowser.submit("/models/rollouts/\(rollout.id)/rollback", [:]).status == .seeOther)
            #expect(try await store.modelRollouts().first?.state == .rolledBack)
            #expect(try await operatorBrowser.submit("/models/rollouts/\(rollout.id)/rollback", [:]).status == .conflict)
            let rows = try await server.sql(
                "SELECT actor || ' ' || action FROM console_audit WHERE action LIKE 'model.rollout.%' ORDER BY id", database: "hub")
            #expect(rows == "ops model.rollout.start\nhub model.rollout.halt\nops model.rollout.resume\nops model.rollout.rollback", "\(rows)")
        }
    }

    @Test("the single-machine hub does the same")
    func sqliteRollout() async throws {
        let data = TemporaryDirectory("sqlite-rollout-hub")
        let catalog = try ModelAssignmentTests.catalog("sqlite-rollout-catalog")
        let replica = try await HubReplica(dataDirectory: data.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkRollout(port: replica.port, catalog: catalog, store: ["--data-dir", data.path])
        await replica.stop()
        let store = try HubStore(directory: data.path)
        let audit = try await store.auditEntries(limit: 50).filter { $0.action.hasPrefix("model.rollout.") }.reversed().map { "\($0.actor) \($0.action)" }
        #expect(audit == Self.auditActions)
    }
}
