import BrowserTesting
import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import StudyStore
import Testing

/// The model catalog per region, on a real PostgreSQL and on the single-machine store: packages
/// assigned to a region or to institutions, what each device is listed and may download, files
/// changed after assignment, the operator's commands and the console's Models page.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct ModelAssignmentTests {
    static let tver = "Тверская область"
    static let pskov = "Псковская область"
    /// Two devices in Tver (institutions by ИНН and by OID), one in Pskov, one with no institution recorded.
    static let institutions: [(device: String, DeviceInstitution)] = [
        ("tver-1", DeviceInstitution(region: tver, name: "ЦРБ № 2", taxID: "7707083893", oid: nil)),
        ("tver-2", DeviceInstitution(region: tver, name: "ФАП Мирный", taxID: nil, oid: "1.2.643.5.1.13.13.12.2.69.6511")),
        ("pskov-1", DeviceInstitution(region: pskov, name: "Псковская ЦРБ", taxID: "500100732259", oid: nil)),
    ]

    static func recordInstitutions(_ store: any HubStoring) async throws {
        for (device, institution) in institutions { try await store.setInstitution(institution, device: device) }
    }

    /// A catalog folder with two packages.
    static func catalog(_ label: String) throws -> TemporaryDirectory {
        let folder = TemporaryDirectory(label)
        try Data("chest model 2.1.0".utf8).write(to: URL(fileURLWithPath: folder.file("chest-2.1.0.fbmodel")))
        try Data("chest model 2.2.0, larger".utf8).write(to: URL(fileURLWithPath: folder.file("chest-2.2.0.fbmodel")))
        return folder
    }

    /// Assigns to a region and to institutions, re-pins, takes back; reads per device (on
    /// `reader`, another replica) and checks the audit rows.
    static func checkAssignments(_ store: any HubStoring, reader: (any HubStoring)? = nil) async throws {
        let reader = reader ?? store
        let folder = try catalog("model-assign")
        try await recordInstitutions(store)
        let toTver = try ModelAssignment.of(file: "chest-2.1.0.fbmodel", in: folder.path, target: .region(tver), assignedBy: "test")
        #expect(toTver.size == 17 && toTver.sha256 == SHA256Check.hex(Array("chest model 2.1.0".utf8)))
        let first = try await store.assignModel(toTver)
        #expect(first.id > 0)
        #expect(try await reader.modelAssignments(device: "tver-1").map(\.file) == ["chest-2.1.0.fbmodel"])
        #expect(try await reader.modelAssignments(device: "tver-2").map(\.file) == ["chest-2.1.0.fbmodel"])
        #expect(try await reader.modelAssignments(device: "pskov-1").isEmpty)
        #expect(try await reader.modelAssignments(device: "nowhere-1").isEmpty)

        // One institution by its OID, another by its ИНН: Pskov's device and one of Tver's.
        let targets = try ModelAssignment.Target.validated(region: nil, institutions: ["500100732259", "1.2.643.5.1.13.13.12.2.69.6511", "500100732259"])
        #expect(targets == .institutions(["1.2.643.5.1.13.13.12.2.69.6511", "500100732259"]))
        let second = try await store.assignModel(try ModelAssignment.of(file: "chest-2.2.0.fbmodel", in: folder.path, target: targets, assignedBy: "ops"))
        #expect(try await reader.modelAssignments(device: "pskov-1").map(\.file) == ["chest-2.2.0.fbmodel"])
        #expect(try await reader.modelAssignments(device: "tver-2").map(\.file) == ["chest-2.1.0.fbmodel", "chest-2.2.0.fbmodel"])
        #expect(try await reader.modelAssignments(device: "tver-1").map(\.file) == ["chest-2.1.0.fbmodel"])
        let everything = try await reader.institutions()
        #expect(first.devicesReached(everything) == 2 && second.devicesReached(everything) == 2)

        // The same file to the same region again: re-pinned, the same id.
        try Data("chest model 2.1.0 rebuilt".utf8).write(to: URL(fileURLWithPath: folder.file("chest-2.1.0.fbmodel")))
        let again = try await store.assignModel(try ModelAssignment.of(file: "chest-2.1.0.fbmodel", in: folder.path, target: .region(tver), assignedBy: "ops"))
        #expect(again.id == first.id && again.sha256 != first.sha256)
        let all = try await reader.modelAssignments()
        #expect(all.map(\.id) == [first.id, second.id] && all[0].sha256 == again.sha256 && all[0].assignedBy == "ops" && all[1].target == targets)

        #expect(try await store.unassignModel(id: second.id + 100, by: "ops", at: Date()) == nil)
        let taken = try #require(try await store.unassignModel(id: first.id, by: "root", at: Date()))
        #expect(taken.file == "chest-2.1.0.fbmodel" && taken.sha256 == again.sha256)
        #expect(try await reader.modelAssignments(device: "tver-1").isEmpty)
        #expect(try await reader.modelAssignments(device: "tver-2").map(\.file) == ["chest-2.2.0.fbmodel"])
        #expect(try await store.unassignModel(id: first.id, by: "root", at: Date()) == nil)

        // Three assignments and one taking back, each with who, the package, its target and pin; the no-ops left nothing.
        let audit = try await reader.auditEntries(limit: 10).filter { $0.action.hasPrefix("model.") }
        #expect(audit.map { "\($0.actor) \($0.action) \($0.subject) \($0.detail ?? "-")" } == [
            "root model.unassign chest-2.1.0.fbmodel region \(tver), 25 bytes, SHA-256 \(again.sha256)",
            "ops model.assign chest-2.1.0.fbmodel region \(tver), 25 bytes, SHA-256 \(again.sha256)",
            "ops model.assign chest-2.2.0.fbmodel institutions 1.2.643.5.1.13.13.12.2.69.6511, 500100732259, 25 bytes, SHA-256 \(second.sha256)",
            "test model.assign chest-2.1.0.fbmodel region \(tver), 17 bytes, SHA-256 \(first.sha256)",
        ], "\(audit)")

        for (region, institutions) in [(nil, []), ("", []), (tver, ["7707083893"]), (nil, ["7707083890"]), (nil, ["Тверь"])] as [(String?, [String])] {
            #expect(throws: HubError.self, "\(String(describing: region)) \(institutions)") {
                _ = try ModelAssignment.Target.validated(region: region, institutions: institutions)
            }
        }
        #expect(throws: HubError.self) { _ = try ModelAssignment.of(file: "missing.fbmodel", in: folder.path, target: .region(tver), assignedBy: "test") }
        #expect(throws: HubError.self) { _ = try ModelAssignment.of(file: "../etc/passwd", in: folder.path, target: .region(tver), assignedBy: "test") }
    }

    @Test("PostgreSQL keeps assignments to regions and institutions, read by every replica, audited in their transaction")
    func postgresAssignments() async throws {
        let server = try await PostgresServer.start("pg-model-assign")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            try await Self.checkAssignments(stores[0], reader: stores[1])
        }
        #expect(try await server.sql("SELECT file, target_kind, target FROM model_assignment", database: "hub")
            == "chest-2.2.0.fbmodel|institutions|1.2.643.5.1.13.13.12.2.69.6511,500100732259")
        #expect(try await server.sql("SELECT action FROM console_audit WHERE action LIKE 'model.%' ORDER BY id", database: "hub")
            == "model.assign\nmodel.assign\nmodel.assign\nmodel.unassign")
        try await server.stop()
    }

    @Test("the single-machine store keeps them the same way")
    func sqliteAssignments() async throws {
        let folder = TemporaryDirectory("hub-sqlite-models")
        try await Self.checkAssignments(try HubStore(directory: folder.path))
    }

    /// Runs `fluorobox-hub` with `arguments`; its standard output, or the test fails.
    static func hub(_ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(HubReplica.binary, arguments)
        try #require(result.status == 0, "fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout
    }

    /// What `GET /v1/models` lists for `device`, by file.
    static func listed(_ port: Int, device: String) async throws -> [String] {
        let answer = try await Curl.call(port: port, "GET", "/v1/models", device: device)
        try #require(answer.status == 200, "\(answer.status) \(answer.body)")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return (json?["models"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
    }

    /// The device API of a real replica (`replica`) with its catalog folder, driven by the
    /// operator's commands on `store` (`--database URL` or `--data-dir DIR`): two regions, an
    /// institution list, a changed file, a take-back.
    static func checkDeviceAPI(replica: HubReplica, catalog: TemporaryDirectory, store: [String]) async throws {
        let port = replica.port
        for (device, institution) in institutions {
            _ = try await hub(["device", "set-institution", device, "--region", institution.region, "--name", institution.name]
                + (institution.taxID.map { ["--tax-id", $0] } ?? []) + (institution.oid.map { ["--oid", $0] } ?? []) + store)
        }
        #expect(try await listed(port, device: "tver-1").isEmpty, "nothing is assigned yet")
        let assigned = try await hub(["model", "assign", "chest-2.1.0.fbmodel", "--region", tver, "--catalog-dir", catalog.path, "--by", "ops"] + store)
        #expect(assigned.contains("chest-2.1.0.fbmodel to region \(tver)"), "\(assigned)")

        #expect(try await listed(port, device: "tver-1") == ["chest-2.1.0.fbmodel"])
        #expect(try await listed(port, device: "tver-2") == ["chest-2.1.0.fbmodel"])
        #expect(try await listed(port, device: "pskov-1").isEmpty)
        #expect(try await listed(port, device: "nowhere-1").isEmpty)
        let download = try await Curl.call(port: port, "GET", "/v1/models/chest-2.1.0.fbmodel", device: "tver-1")
        #expect(download.status == 200 && download.body == "chest model 2.1.0")
        let ranged = try await Curl.call(port: port, "GET", "/v1/models/chest-2.1.0.fbmodel", device: "tver-2", headers: ["Range: bytes=6-"])
        #expect(ranged.status == 206 && ranged.body == "model 2.1.0")
        let refused = try await Curl.call(port: port, "GET", "/v1/models/chest-2.1.0.fbmodel", device: "pskov-1")
        #expect(refused.status == 404 && refused.body.contains("no package chest-2.1.0.fbmodel is assigned to device pskov-1"), "\(refused.body)")
        #expect(!refused.body.contains("Тверская") && !refused.body.contains("\\u0422"), "the refusal names another region: \(refused.body)")
        // The catalog is per device: no device named (plain HTTP), no catalog.
        let anonymous = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v1/models"])
        #expect(anonymous.stdout == "400")

        _ = try await hub(["model", "assign", "chest-2.2.0.fbmodel", "--institution", "500100732259", "--institution", "1.2.643.5.1.13.13.12.2.69.6511",
                           "--catalog-dir", catalog.path] + store)
        #expect(try await listed(port, device: "pskov-1") == ["chest-2.2.0.fbmodel"])
        #expect(try await listed(port, device: "tver-2") == ["chest-2.1.0.fbmodel", "chest-2.2.0.fbmodel"])
        #expect(try await listed(port, device: "tver-1") == ["chest-2.1.0.fbmodel"])
        #expect(try await Curl.call(port: port, "GET", "/v1/models/chest-2.2.0.fbmodel", device: "pskov-1").status == 200)
        #expect(try await Curl.call(port: port, "GET", "/v1/models/chest-2.2.0.fbmodel", device: "tver-1").status == 404)

        // Changed on disk after assignment: neither listed nor served, and the list says so.
        try Data("chest model 2.1.0, swapped".utf8).write(to: URL(fileURLWithPath: catalog.file("chest-2.1.0.fbmodel")))
        #expect(try await listed(port, device: "tver-1").isEmpty)
        let changed = try await Curl.call(port: port, "GET", "/v1/models/chest-2.1.0.fbmodel", device: "tver-1")
        #expect(changed.status == 404 && changed.body.contains("changed on the hub after it was assigned"), "\(changed.body)")
        let listing = try await hub(["model", "list", "--json", "--catalog-dir", catalog.path] + store)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]])
        #expect(rows.map { "\($0["file"]!) \($0["region"] ?? "-") \(($0["institutions"] as? [String])?.joined(separator: ",") ?? "-") \($0["devices"]!) \($0["fileState"]!)" } == [
            "chest-2.1.0.fbmodel \(tver) - 2 changed",
            "chest-2.2.0.fbmodel - 1.2.643.5.1.13.13.12.2.69.6511,500100732259 2 as-assigned",
        ], "\(listing)")
        #expect(try await hub(["model", "list"] + store).contains("chest-2.1.0.fbmodel\tregion \(tver)\tactive\t2 devices"))

        // Taken back (by the same target as assigned): no longer offered.
        let wrong = try await hub(["model", "unassign", "chest-2.2.0.fbmodel", "--institution", "500100732259"] + store)
        #expect(wrong.contains("was not assigned to institution 500100732259"), "\(wrong)")
        #expect(try await listed(port, device: "pskov-1") == ["chest-2.2.0.fbmodel"])
        let taken = try await hub(["model", "unassign", "chest-2.2.0.fbmodel", "--institution", "1.2.643.5.1.13.13.12.2.69.6511",
                                   "--institution", "500100732259", "--by", "root"] + store)
        #expect(taken.contains("taken back"), "\(taken)")
        #expect(try await listed(port, device: "pskov-1").isEmpty)
        #expect(try await Curl.call(port: port, "GET", "/v1/models/chest-2.2.0.fbmodel", device: "pskov-1").status == 404)

        let refusal = try await ProcessRunner.run(HubReplica.binary, ["model", "assign", "chest-2.2.0.fbmodel", "--region", tver,
                                                                      "--institution", "500100732259", "--catalog-dir", catalog.path] + store)
        #expect(refusal.status != 0 && refusal.stderr.contains("not both"), "\(refusal.stderr)")
    }

    @Test("a replica on PostgreSQL lists and serves a package only to the devices of the region or institutions it is assigned to; a changed file and a taken-back one are offered to none")
    func postgresDeviceAPI() async throws {
        let server = try await PostgresServer.start("pg-model-api")
        let url = try await server.createDatabase("hub")
        let catalog = try Self.catalog("pg-model-catalog")
        let staging = TemporaryDirectory("pg-model-staging")
        let replica = try await HubReplica(database: url, staging: staging.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkDeviceAPI(replica: replica, catalog: catalog, store: ["--database", url])
        await replica.stop()
        let rows = try await server.sql("SELECT actor, action, subject FROM console_audit ORDER BY id", database: "hub")
        #expect(rows.split(separator: "\n").map(String.init) == [
            "ops|model.assign|chest-2.1.0.fbmodel", "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")|model.assign|chest-2.2.0.fbmodel",
            "root|model.unassign|chest-2.2.0.fbmodel",
        ], "\(rows)")
        try await server.stop()
    }

    @Test("the single-machine hub does the same")
    func sqliteDeviceAPI() async throws {
        let data = TemporaryDirectory("sqlite-model-hub")
        let catalog = try Self.catalog("sqlite-model-catalog")
        let replica = try await HubReplica(dataDirectory: data.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkDeviceAPI(replica: replica, catalog: catalog, store: ["--data-dir", data.path])
        await replica.stop()
    }

    @Test("the console's Models page: a viewer reads it and may not change it; an operator assigns to a region and to institutions and takes back; device counts, a changed file and the audit show")
    func consoleModels() async throws {
        let catalog = try Self.catalog("console-model-catalog")
        var settings = ConsoleTests.quickSettings
        settings.catalogDirectory = catalog.path
        try await ConsoleTests.withConsole("pg-console-models", settings: settings) { server, store, client in
            try await Self.recordInstitutions(store)
            let staging = TemporaryDirectory("console-model-staging")
            let replica = try await HubReplica(database: server.url(database: "hub"), staging: staging.path, extra: ["--catalog-dir", catalog.path])
            let toTver = ["package": "chest-2.1.0.fbmodel", "region": Self.tver]

            var viewer = Browser(client)
            _ = try await viewer.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let seen = String(buffer: try await viewer.get("/models").body)
            #expect(seen.contains("<code>chest-2.1.0.fbmodel</code>") && seen.contains("Not assigned: offered to no device."), "\(seen)")
            #expect(!seen.contains("id=\"assign-model\"") && seen.contains("id=\"nav-models\""))
            #expect(try await viewer.submit("/models/assign", toTver).status == .forbidden)
            #expect(try await store.modelAssignments().isEmpty)

            var operatorBrowser = Browser(client)
            _ = try await operatorBrowser.logIn("ops", password: ConsoleTests.passwords["ops"]!)
            let form = String(buffer: try await operatorBrowser.get("/models").body)
            #expect(form.contains("id=\"assign-model\"") && form.contains("<option value=\"chest-2.2.0.fbmodel\">") && form.contains("<option value=\"\(Self.tver)\">"), "\(form)")
            var noToken = toTver
            noToken["csrf"] = "not-the-session-token"
            #expect(try await operatorBrowser.post("/models/assign", noToken).status == .forbidden)
            #expect(try await operatorBrowser.submit("/models/assign", ["package": "chest-2.1.0.fbmodel", "region": Self.tver, "institutions": "7707083893"]).status == .badRequest)
            #expect(try await operatorBrowser.submit("/models/assign", ["package": "../hub.sqlite", "region": Self.tver]).status == .badRequest)
            #expect(try await store.modelAssignments().isEmpty)

            #expect(try await operatorBrowser.submit("/models/assign", toTver).status == .seeOther)
            #expect(try await operatorBrowser.submit("/models/assign", ["package": "chest-2.2.0.fbmodel", "institutions": "500100732259; 1.2.643.5.1.13.13.12.2.69.6511"]).status == .seeOther)
            let assignments = try await store.modelAssignments()
            try #require(assignments.count == 2)
            let (tverID, listID) = (assignments[0].id, assignments[1].id)
            #expect(try await Self.listed(replica.port, device: "tver-1") == ["chest-2.1.0.fbmodel"])
            #expect(try await Self.listed(replica.port, device: "pskov-1") == ["chest-2.2.0.fbmodel"])
            let page = String(buffer: try await viewer.get("/models").body)
            #expect(page.contains("id=\"assignment-\(tverID)-target\">region \(Self.tver)<") && page.contains("id=\"assignment-\(tverID)-devices\">2<"), "\(page)")
            #expect(page.contains("id=\"assignment-\(listID)-target\">institutions 1.2.643.5.1.13.13.12.2.69.6511, 500100732259<"))
            #expect(page.contains("id=\"assignment-\(listID)-devices\">2<") && page.contains("id=\"assignment-\(tverID)-state\" data-state=\"as-assigned\""))
            #expect(!page.contains("id=\"unassign-"))

            try Data("chest model 2.1.0, swapped".utf8).write(to: URL(fileURLWithPath: catalog.file("chest-2.1.0.fbmodel")))
            let changed = String(buffer: try await viewer.get("/models").body)
            #expect(changed.contains("id=\"assignment-\(tverID)-state\" data-state=\"changed\"") && changed.contains("changed since assigned: not offered"))
            #expect(try await Self.listed(replica.port, device: "tver-1").isEmpty)
            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let ru = String(buffer: try await russian.get("/models").body)
            #expect(ru.contains("изменён после назначения: не предлагается") && ru.contains("регион \(Self.tver)") && ru.contains(">Модели<"), "\(ru)")

            #expect(try await viewer.submit("/models/assignments/\(listID)/remove", [:]).status == .forbidden)
            #expect(try await Self.listed(replica.port, device: "pskov-1") == ["chest-2.2.0.fbmodel"])
            #expect(try await operatorBrowser.submit("/models/assignments/\(listID)/remove", [:]).status == .seeOther)
            #expect(try await Self.listed(replica.port, device: "pskov-1").isEmpty)
            #expect(!String(buffer: try await viewer.get("/models").body).contains("id=\"assignment-\(listID)-target\""))

            let audit = String(buffer: try await viewer.get("/audit").body)
            #expect(audit.contains("<code>model.assign</code>") && audit.contains("<code>model.unassign</code>"))
            let rows = try await server.sql(
                "SELECT actor, action, subject, detail FROM console_audit WHERE action LIKE 'model.%' ORDER BY id", database: "hub")
            let (one, two) = (SHA256Check.hex(Array("chest model 2.1.0".utf8)), SHA256Check.hex(Array("chest model 2.2.0, larger".utf8)))
            #expect(rows == """
                ops|model.assign|chest-2.1.0.fbmodel|region \(Self.tver), 17 bytes, SHA-256 \(one)
                ops|model.assign|chest-2.2.0.fbmodel|institutions 1.2.643.5.1.13.13.12.2.69.6511, 500100732259, 25 bytes, SHA-256 \(two)
                ops|model.unassign|chest-2.2.0.fbmodel|institutions 1.2.643.5.1.13.13.12.2.69.6511, 500100732259, 25 bytes, SHA-256 \(two)
                """, "\(rows)")
            await replica.stop()
        }
    }
}
