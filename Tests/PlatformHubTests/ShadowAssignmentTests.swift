import BrowserTesting
import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import Testing

/// Shadow assignments of the model catalog, on a real PostgreSQL and on the single-machine store:
/// a package assigned as shadow is listed, marked `shadow`, only to the devices its target
/// reaches and downloads as an active one does; one shadow per target; an assignment keeps its
/// role; a staged rollout is refused on it; the console assigns as shadow and shows the role.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct ShadowAssignmentTests {
    static let tver = ModelAssignmentTests.tver
    static let active = "chest-2.1.0.fbmodel"
    static let shadow = "chest-2.2.0.fbmodel"

    static func hub(_ arguments: [String]) async throws -> String { try await ModelAssignmentTests.hub(arguments) }

    /// An assignment's audit detail up to its SHA-256.
    static func withoutHash(_ detail: String?) -> String {
        detail.map { String($0.split(separator: ", SHA-256", maxSplits: 1)[0]) } ?? "-"
    }

    /// What `GET /v1/models?shadows=true` (a box that runs shadows; false: an older box) lists
    /// for `device`: each file, with ` (shadow)` when so marked.
    static func listed(_ port: Int, device: String, shadows: Bool = true) async throws -> [String] {
        let answer = try await Curl.call(port: port, "GET", "/v1/models" + (shadows ? "?shadows=true" : ""), device: device)
        try #require(answer.status == 200, "\(answer.status) \(answer.body)")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return (json?["models"] as? [[String: Any]] ?? []).compactMap { entry in
            (entry["file"] as? String).map { $0 + ((entry["shadow"] as? Bool) == true ? " (shadow)" : "") }
        }
    }

    /// The store's rules: the role kept and read back by every replica, one shadow per target,
    /// no change of role by assigning again, the audit saying "as shadow".
    static func checkRoles(_ store: any HubStoring, reader: (any HubStoring)? = nil) async throws {
        let reader = reader ?? store
        let folder = try ModelAssignmentTests.catalog("shadow-roles")
        try await ModelAssignmentTests.recordInstitutions(store)
        let active = try await store.assignModel(try ModelAssignment.of(file: Self.active, in: folder.path, target: .region(tver), assignedBy: "ops"))
        let shadow = try await store.assignModel(
            try ModelAssignment.of(file: Self.shadow, in: folder.path, target: .region(tver), role: .shadow, assignedBy: "ops"))
        #expect(try await reader.modelAssignments().map { "\($0.file) \($0.role.rawValue)" } == ["\(Self.active) active", "\(Self.shadow) shadow"])
        #expect(try await reader.modelAssignments(device: "tver-1").map(\.role) == [.active, .shadow])
        #expect(try await reader.modelAssignments(device: "pskov-1").isEmpty)

        // Re-pinning the shadow keeps its id; assigning it as active to the same target, or another shadow to it, is refused and changes nothing.
        let again = try await store.assignModel(
            try ModelAssignment.of(file: Self.shadow, in: folder.path, target: .region(tver), role: .shadow, assignedBy: "root"))
        #expect(again.id == shadow.id)
        let roleChange = await #expect(throws: HubError.self) {
            _ = try await store.assignModel(try ModelAssignment.of(file: Self.shadow, in: folder.path, target: .region(tver), assignedBy: "ops"))
        }
        #expect(roleChange?.code == .conflict && roleChange?.detail.contains("as shadow") == true, "\(String(describing: roleChange))")
        let second = await #expect(throws: HubError.self) {
            _ = try await store.assignModel(
                try ModelAssignment.of(file: Self.active, in: folder.path, target: .region(tver), role: .shadow, assignedBy: "ops"))
        }
        #expect(second?.code == .conflict, "\(String(describing: second))")
        try Data("chest model 2.3.0".utf8).write(to: URL(fileURLWithPath: folder.file("chest-2.3.0.fbmodel")))
        let third = await #expect(throws: HubError.self) {
            _ = try await store.assignModel(
                try ModelAssignment.of(file: "chest-2.3.0.fbmodel", in: folder.path, target: .region(tver), role: .shadow, assignedBy: "ops"))
        }
        #expect(third?.code == .conflict && third?.detail.contains("one shadow per target") == true, "\(String(describing: third))")
        // Another target may have a shadow of its own.
        _ = try await store.assignModel(
            try ModelAssignment.of(file: "chest-2.3.0.fbmodel", in: folder.path, target: .institutions(["500100732259"]), role: .shadow, assignedBy: "ops"))
        #expect(try await reader.modelAssignments().map { "\($0.file) \($0.role.rawValue)" } == [
            "\(Self.active) active", "\(Self.shadow) shadow", "chest-2.3.0.fbmodel shadow",
        ])
        #expect(active.role == .active)

        let audit = try await reader.auditEntries(limit: 10).filter { $0.action.hasPrefix("model.") }
        #expect(audit.map { "\($0.actor) \($0.action) \($0.subject) \(Self.withoutHash($0.detail))" } == [
            "ops model.assign chest-2.3.0.fbmodel institution 500100732259 as shadow, 17 bytes",
            "root model.assign \(Self.shadow) region \(tver) as shadow, 25 bytes",
            "ops model.assign \(Self.shadow) region \(tver) as shadow, 25 bytes",
            "ops model.assign \(Self.active) region \(tver), 17 bytes",
        ], "\(audit)")
    }

    @Test("PostgreSQL keeps an assignment's role (migration 11: every earlier one active), one shadow per target, read by every replica")
    func postgresRoles() async throws {
        let server = try await PostgresServer.start("pg-shadow-roles")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            try await Self.checkRoles(stores[0], reader: stores[1])
        }
        #expect(try await server.sql("SELECT file, role FROM model_assignment ORDER BY id", database: "hub")
            == "\(Self.active)|active\n\(Self.shadow)|shadow\nchest-2.3.0.fbmodel|shadow")
        // The database refuses a second shadow for a target whatever a replica checked first.
        let refused = try? await server.sql("""
            INSERT INTO model_assignment (file, size, sha256, target_kind, target, role, assigned_by, assigned_at)
            VALUES ('x.fbmodel', 1, '\(String(repeating: "0", count: 64))', 'region', '\(Self.tver)', 'shadow', 'sql', now())
            """, database: "hub")
        #expect(refused == nil)
        try await server.stop()
    }

    @Test("two requests assigning the first shadow of a target at once: the second is 409, not a storage failure")
    func postgresShadowRace() async throws {
        let server = try await PostgresServer.start("pg-shadow-race")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        let folder = try ModelAssignmentTests.catalog("shadow-race")
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            // The other request: its shadow row inserted, its transaction still open, so this
            // replica's look at the target finds none and its insert waits on the index.
            async let other = server.sql("""
                BEGIN;
                INSERT INTO model_assignment (file, size, sha256, target_kind, target, role, assigned_by, assigned_at)
                VALUES ('other.fbmodel', 1, '\(String(repeating: "0", count: 64))', 'region', 'Race', 'shadow', 'other', now());
                SELECT pg_sleep(3);
                COMMIT;
                """, database: "hub")
            var inserted = false
            for _ in 0..<200 where !inserted {
                let waiting = try await server.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' AND pid <> pg_backend_pid()",
                    database: "hub")
                inserted = waiting == "1"
                if !inserted { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(inserted, "the other transaction never reached its sleep")
            let refused = await #expect(throws: HubError.self) {
                _ = try await stores[0].assignModel(
                    try ModelAssignment.of(file: Self.shadow, in: folder.path, target: .region("Race"), role: .shadow, assignedBy: "ops"))
            }
            #expect(refused?.code == .conflict && refused?.detail.contains("one shadow per target") == true, "\(String(describing: refused))")
            _ = try await other
        }
        #expect(try await server.sql("SELECT file FROM model_assignment WHERE target = 'Race'", database: "hub") == "other.fbmodel")
        try await server.stop()
    }

    @Test("the single-machine store keeps the role the same way")
    func sqliteRoles() async throws {
        let folder = TemporaryDirectory("hub-sqlite-shadow")
        try await Self.checkRoles(try HubStore(directory: folder.path))
    }

    /// A replica's device API driven by the operator's commands on `store`: the shadow listed,
    /// marked, only to its region's devices and downloaded as an active package is; a rollout of it
    /// refused; the same file assigned as active to a device's institution offered as active.
    static func checkDeviceAPI(replica: HubReplica, catalog: TemporaryDirectory, store: [String]) async throws {
        let port = replica.port
        for (device, institution) in ModelAssignmentTests.institutions {
            _ = try await hub(["device", "set-institution", device, "--region", institution.region, "--name", institution.name]
                + (institution.taxID.map { ["--tax-id", $0] } ?? []) + (institution.oid.map { ["--oid", $0] } ?? []) + store)
        }
        _ = try await hub(["model", "assign", active, "--region", tver, "--catalog-dir", catalog.path] + store)
        let assigned = try await hub(["model", "assign", shadow, "--region", tver, "--shadow", "--catalog-dir", catalog.path, "--by", "ops"] + store)
        #expect(assigned.contains("\(shadow) to region \(tver) as shadow"), "\(assigned)")

        #expect(try await listed(port, device: "tver-1") == [active, "\(shadow) (shadow)"])
        #expect(try await listed(port, device: "tver-2") == [active, "\(shadow) (shadow)"])
        #expect(try await listed(port, device: "pskov-1").isEmpty)
        // A box that does not say it runs shadows would take the entry for an update: it is not listed one.
        #expect(try await listed(port, device: "tver-1", shadows: false) == [active])
        let download = try await Curl.call(port: port, "GET", "/v1/models/\(shadow)", device: "tver-1")
        #expect(download.status == 200 && download.body == "chest model 2.2.0, larger")
        #expect(try await Curl.call(port: port, "GET", "/v1/models/\(shadow)", device: "pskov-1").status == 404)

        try Data("chest model 2.3.0".utf8).write(to: URL(fileURLWithPath: catalog.file("chest-2.3.0.fbmodel")))
        let second = try await ProcessRunner.run(
            HubReplica.binary, ["model", "assign", "chest-2.3.0.fbmodel", "--region", tver, "--shadow", "--catalog-dir", catalog.path] + store)
        #expect(second.status != 0 && second.stderr.contains("already has the shadow \(shadow)") && second.stderr.contains("one shadow per target"), "\(second.stderr)")
        let roleChange = try await ProcessRunner.run(HubReplica.binary, ["model", "assign", active, "--region", tver, "--shadow", "--catalog-dir", catalog.path] + store)
        #expect(roleChange.status != 0 && roleChange.stderr.contains("is assigned to region \(tver) as active"), "\(roleChange.stderr)")
        let rollout = try await ProcessRunner.run(HubReplica.binary, ["model", "rollout", "start", shadow, "--region", tver, "--stages", "100"] + store)
        #expect(rollout.status != 0 && rollout.stderr.contains("a staged rollout applies only to active assignments"), "\(rollout.stderr)")
        let replacing = try await ProcessRunner.run(
            HubReplica.binary, ["model", "rollout", "start", active, "--region", tver, "--replaces", shadow, "--stages", "100"] + store)
        #expect(replacing.status != 0 && replacing.stderr.contains("is a shadow assignment"), "\(replacing.stderr)")
        #expect(try await hub(["model", "rollout", "list"] + store).contains("0 rollouts"))

        let listing = try await hub(["model", "list", "--json"] + store)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]])
        #expect(rows.map { "\($0["file"]!) \($0["role"]!)" } == ["\(active) active", "\(shadow) shadow"], "\(listing)")

        // The same file assigned as active to tver-2's institution: that device activates it (no shadow mark); tver-1 still runs it in shadow.
        _ = try await hub(["model", "assign", shadow, "--institution", "1.2.643.5.1.13.13.12.2.69.6511", "--catalog-dir", catalog.path] + store)
        #expect(try await listed(port, device: "tver-2") == [active, shadow])
        #expect(try await listed(port, device: "tver-1") == [active, "\(shadow) (shadow)"])

        // Taken back: offered to none.
        _ = try await hub(["model", "unassign", shadow, "--region", tver] + store)
        #expect(try await listed(port, device: "tver-1") == [active])
        #expect(try await Curl.call(port: port, "GET", "/v1/models/\(shadow)", device: "tver-1").status == 404)
    }

    @Test("a replica on PostgreSQL offers a shadow assignment, marked shadow, only to its region's devices and refuses a rollout of it")
    func postgresDeviceAPI() async throws {
        let server = try await PostgresServer.start("pg-shadow-api")
        let url = try await server.createDatabase("hub")
        let catalog = try ModelAssignmentTests.catalog("pg-shadow-catalog")
        let staging = TemporaryDirectory("pg-shadow-staging")
        let replica = try await HubReplica(database: url, staging: staging.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkDeviceAPI(replica: replica, catalog: catalog, store: ["--database", url])
        await replica.stop()
        try await server.stop()
    }

    @Test("the single-machine hub does the same")
    func sqliteDeviceAPI() async throws {
        let data = TemporaryDirectory("sqlite-shadow-hub")
        let catalog = try ModelAssignmentTests.catalog("sqlite-shadow-catalog")
        let replica = try await HubReplica(dataDirectory: data.path, extra: ["--catalog-dir", catalog.path])
        try await Self.checkDeviceAPI(replica: replica, catalog: catalog, store: ["--data-dir", data.path])
        await replica.stop()
    }

    @Test("a model-update document about a shadow entry is accepted (old documents too) and counted by no rollout")
    func shadowReports() throws {
        let schema = try #require(DocumentSchema.of(kind: "model-update"))
        let at = #""at":"2026-12-07T12:00:00Z","device":"d","file":"f","sha256":"s""#
        let activated = Array(#"{\#(at),"outcome":"activated","package":"chest@2.2.0"}"#.utf8)
        let shadowed = Array(#"{\#(at),"outcome":"shadowed","package":"chest@2.3.0","shadow":true}"#.utf8)
        let refused = Array(#"{\#(at),"outcome":"refused","code":"shadow-is-active","shadow":true}"#.utf8)
        for body in [activated, shadowed, refused] { try schema.validate(body) }
        #expect(throws: HubError.self) { try schema.validate(Array(#"{\#(at),"outcome":"designated"}"#.utf8)) }
        #expect(ModelUpdateReport(device: "d", body: activated, receivedAt: Date())?.outcome == .activated)
        #expect(ModelUpdateReport(device: "d", body: shadowed, receivedAt: Date()) == nil)
        #expect(ModelUpdateReport(device: "d", body: refused, receivedAt: Date()) == nil)
    }

    @Test("the console's Models page assigns a package as shadow and shows the role; a rollout of it is refused with 409 and not offered")
    func consoleShadow() async throws {
        let catalog = try ModelAssignmentTests.catalog("console-shadow-catalog")
        var settings = ConsoleTests.quickSettings
        settings.catalogDirectory = catalog.path
        try await ConsoleTests.withConsole("pg-console-shadow", settings: settings) { server, store, client in
            try await ModelAssignmentTests.recordInstitutions(store)
            let staging = TemporaryDirectory("console-shadow-staging")
            let replica = try await HubReplica(database: server.url(database: "hub"), staging: staging.path, extra: ["--catalog-dir", catalog.path])
            var operatorBrowser = Browser(client)
            _ = try await operatorBrowser.logIn("ops", password: ConsoleTests.passwords["ops"]!)
            let form = String(buffer: try await operatorBrowser.get("/models").body)
            #expect(form.contains("id=\"assign-shadow\" name=\"role\" value=\"shadow\""), "\(form)")

            #expect(try await operatorBrowser.submit("/models/assign", ["package": Self.active, "region": Self.tver]).status == .seeOther)
            #expect(try await operatorBrowser.submit("/models/assign", ["package": Self.shadow, "region": Self.tver, "role": "shadow"]).status == .seeOther)
            let assignments = try await store.modelAssignments()
            #expect(assignments.map(\.role) == [.active, .shadow])
            let shadowID = try #require(assignments.last?.id)
            #expect(try await Self.listed(replica.port, device: "tver-1") == [Self.active, "\(Self.shadow) (shadow)"])
            #expect(try await Self.listed(replica.port, device: "pskov-1").isEmpty)

            let page = String(buffer: try await operatorBrowser.get("/models").body)
            #expect(page.contains("id=\"assignment-\(shadowID)-role\" data-role=\"shadow\">shadow<"), "\(page)")
            #expect(page.contains("id=\"assignment-\(assignments[0].id)-role\" data-role=\"active\">active<"))
            // Only the active assignment may be chosen for a rollout; posting the shadow's id anyway is refused.
            #expect(page.contains("<option value=\"\(assignments[0].id)\">") && !page.contains("<option value=\"\(shadowID)\">"), "\(page)")
            let refused = try await operatorBrowser.submit("/models/rollouts/start", ["assignment": String(shadowID), "stages": "100"])
            #expect(refused.status == .conflict)
            #expect(String(buffer: refused.body).contains("a staged rollout applies only to active assignments"))
            #expect(try await store.modelRollouts().isEmpty)

            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let ru = String(buffer: try await russian.get("/models").body)
            #expect(ru.contains("data-role=\"shadow\">теневая<"), "\(ru)")
            let rows = try await server.sql("SELECT detail FROM console_audit WHERE action = 'model.assign' ORDER BY id", database: "hub")
            #expect(rows.split(separator: "\n").map { Self.withoutHash(String($0)) } == ["region \(Self.tver), 17 bytes", "region \(Self.tver) as shadow, 25 bytes"], "\(rows)")
            await replica.stop()
        }
    }
}
