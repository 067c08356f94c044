import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// `fluorobox model …` as a technician or script runs it, including SIGKILL in the middle of
/// installs, activations and rollbacks (CrashPoint), after which the old or the new package is
/// active, never neither.
@Suite("fluorobox model command line", .serialized)
struct ModelCommandLineTests {
    static var fluorobox: String { ProcessRunner.fluorobox }
    /// Trust the test key (and only it) in the child processes.
    static let environment = ["FLUOROBOX_INFERENCE_TRUSTED_KEYS": PackageFixture.key.publicKey.text]
    static let v1 = PackageReference(id: "test-model", version: "1.0.0")
    static let v2 = PackageReference(id: "test-model", version: "2.0.0")

    struct ListDocument: Decodable {
        struct Package: Decodable {
            var package: String
            var verified: Bool
            var problem: String?
            var activeFor: [String]
            var previousFor: [String]
        }
        struct Task: Decodable {
            var task: String
            var active: String
            var previous: String?
        }
        var packages: [Package]
        var tasks: [Task]
    }

    static func run(_ arguments: [String], data: String, crashAt: String? = nil, environment: [String: String] = environment) async throws -> ProcessRunner.Result {
        var env = environment
        if let crashAt { env["FLUOROBOX_CRASH_AT"] = crashAt }
        return try await ProcessRunner.run(fluorobox, ["model"] + arguments + ["--data-dir", data], environment: env)
    }

    static func list(_ data: String) async throws -> ListDocument {
        let result = try await run(["list", "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(ListDocument.self, from: Data(result.stdout.utf8))
    }

    /// A data folder with v1 installed and active and v2 installed; returns the data path.
    static func prepared(_ folder: TemporaryDirectory) async throws -> String {
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key, version: "1.0.0", model: "one")
        try PackageFixture.write(at: folder.file("v2"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let data = folder.file("data")
        for step in [["install", folder.file("v1")], ["install", folder.file("v2")], ["activate", "test-model@1.0.0"]] {
            let result = try await run(step, data: data)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        return data
    }

    @Test("install, list, activate, rollback print what happened; refusals name the failed check")
    func commands() async throws {
        let folder = TemporaryDirectory("cli-model")
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key, version: "1.0.0", model: "one")
        try PackageFixture.write(at: folder.file("v2"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let data = folder.file("data")

        var result = try await Self.run(["install", folder.file("v1")], data: data)
        #expect(result.status == 0 && result.stdout.hasPrefix("installed test-model@1.0.0 (task chest-findings"), "\(result.stdout)\(result.stderr)")
        result = try await Self.run(["install", folder.file("v1")], data: data)
        #expect(result.status == 0 && result.stdout.hasPrefix("already installed test-model@1.0.0"))
        result = try await Self.run(["activate", "test-model@1.0.0"], data: data)
        #expect(result.status == 0 && result.stdout == "task chest-findings: active test-model@1.0.0\n", "\(result.stdout)")
        result = try await Self.run(["rollback", "chest-findings"], data: data)
        #expect(result.status == 1 && result.stderr.contains("refused: there is no previous package to roll back to"), "\(result.stderr)")
        _ = try await Self.run(["install", folder.file("v2")], data: data)
        result = try await Self.run(["activate", "test-model@2.0.0"], data: data)
        #expect(result.stdout == "task chest-findings: active test-model@2.0.0, previous test-model@1.0.0\n")

        var listed = try await Self.list(data)
        #expect(listed.packages.map(\.package) == ["test-model@1.0.0", "test-model@2.0.0"])
        #expect(listed.packages.allSatisfy { $0.verified })
        #expect(listed.tasks.first?.active == "test-model@2.0.0" && listed.tasks.first?.previous == "test-model@1.0.0")

        result = try await Self.run(["rollback", "chest-findings"], data: data)
        #expect(result.stdout == "task chest-findings: rolled back to test-model@1.0.0, previous test-model@2.0.0\n")
        listed = try await Self.list(data)
        #expect(listed.packages[0].activeFor == ["chest-findings"] && listed.packages[1].previousFor == ["chest-findings"])

        let human = try await Self.run(["list"], data: data)
        #expect(human.stdout.contains("test-model@1.0.0  task chest-findings  active for chest-findings  verified"))

        // Refusals.
        result = try await Self.run(["activate", "not a reference"], data: data)
        #expect(result.status != 0 && result.stderr.contains("ID@VERSION"))
        result = try await Self.run(["activate", "test-model@3.0.0"], data: data)
        #expect(result.status == 1 && result.stderr.contains("refused: no such package is installed"))
        try PackageFixture.write(at: folder.file("untrusted"), key: PackageFixture.otherKey, version: "4.0.0")
        result = try await Self.run(["install", folder.file("untrusted")], data: data)
        #expect(result.status == 1 && result.stderr.contains("refused: the package is signed by a key that is not trusted"), "\(result.stderr)")

        // Tampering with the installed copy shows in list and blocks activation.
        try Data("other bytes".utf8).write(to: URL(fileURLWithPath: data + "/models/packages/test-model@2.0.0/model.onnx"))
        listed = try await Self.list(data)
        #expect(listed.packages[1].verified == false && listed.packages[1].problem?.contains("does not match the hash") == true)
        result = try await Self.run(["activate", "test-model@2.0.0"], data: data)
        #expect(result.status == 1 && result.stderr.contains("model.onnx: manifest pins sha256"))

        // A pin in the configuration wins over activation state and blocks changes.
        var pinned = Self.environment
        pinned["FLUOROBOX_INFERENCE_ACTIVE_PACKAGES"] = "chest-findings=test-model@1.0.0"
        result = try await Self.run(["rollback", "chest-findings"], data: data, environment: pinned)
        #expect(result.status == 1 && result.stderr.contains("pinned to test-model@1.0.0 by inference.activePackages"))
    }

    @Test("verify names the check that failed and exits 1; pack, sign and keygen work together")
    func verifySignPack() async throws {
        let folder = TemporaryDirectory("cli-verify")
        let data = folder.file("data")
        try PackageFixture.writeUnsigned(at: folder.file("pkg"))
        var result = try await Self.run(["verify", folder.file("pkg")], data: data)
        #expect(result.status == 1 && result.stdout.contains("FAILED: the package is not signed"))

        result = try await ProcessRunner.run(Self.fluorobox, ["model", "keygen", "--out", folder.file("vendor")])
        #expect(result.status == 0, "\(result.stderr)")
        let publicKey = try String(contentsOfFile: folder.file("vendor.pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.file("vendor.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        result = try await ProcessRunner.run(Self.fluorobox, ["model", "keygen", "--out", folder.file("vendor")])
        #expect(result.status != 0, "an existing key is never overwritten")

        result = try await ProcessRunner.run(Self.fluorobox, ["model", "sign", "--key", folder.file("vendor.key"), folder.file("pkg")])
        #expect(result.status == 0 && result.stdout.contains("signed test-model@1.0.0"), "\(result.stderr)")
        result = try await Self.run(["verify", folder.file("pkg")], data: data)
        #expect(result.status == 1 && result.stdout.contains("FAILED: the package is signed by a key that is not trusted"))
        result = try await Self.run(["verify", "--trust", publicKey, folder.file("pkg")], data: data)
        #expect(result.status == 0 && result.stdout.contains("verified test-model@1.0.0"), "\(result.stdout)")

        result = try await ProcessRunner.run(Self.fluorobox, ["model", "pack", "--out", folder.file("pkg.tar"), folder.file("pkg")])
        #expect(result.status == 0, "\(result.stderr)")
        result = try await Self.run(["verify", "--trust", publicKey, folder.file("pkg.tar")], data: data)
        #expect(result.status == 0 && result.stdout.hasPrefix("archive: ok"))

        try Data("changed".utf8).write(to: URL(fileURLWithPath: folder.file("pkg/reference/case-input.npy")))
        result = try await Self.run(["verify", "--trust", publicKey, folder.file("pkg")], data: data)
        #expect(result.status == 1 && result.stdout.contains("FAILED: a file does not match the hash the manifest pins: reference/case-input.npy"))
        result = try await ProcessRunner.run(Self.fluorobox, ["model", "sign", "--key", folder.file("vendor.key"), folder.file("pkg")])
        #expect(result.status == 1 && result.stderr.contains("fix the manifest before signing"))
    }

    @Test("SIGKILL at each step of an activation leaves the old or the new package active, never neither", arguments: [
        ("model.activate.verified", "test-model@1.0.0"),
        ("model.activate.written", "test-model@1.0.0"),
        ("model.activate.renamed", "test-model@2.0.0"),
    ])
    func killedActivation(point: String, expected: String) async throws {
        let folder = TemporaryDirectory("cli-kill-activate")
        let data = try await Self.prepared(folder)
        let killed = try await Self.run(["activate", "test-model@2.0.0"], data: data, crashAt: point)
        #expect(killed.status == 9, "the process must die by SIGKILL at \(point): status \(killed.status) \(killed.stderr)")
        try await Self.expectActive(data, expected)
        // The next change clears what the killed one left and works.
        let again = try await Self.run(["activate", "test-model@2.0.0"], data: data)
        #expect(again.status == 0, "\(again.stderr)")
        try await Self.expectActive(data, "test-model@2.0.0")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data + "/models/active").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("SIGKILL at each step of a rollback leaves the old or the new package active", arguments: [
        ("model.rollback.written", "test-model@2.0.0"),
        ("model.rollback.renamed", "test-model@1.0.0"),
    ])
    func killedRollback(point: String, expected: String) async throws {
        let folder = TemporaryDirectory("cli-kill-rollback")
        let data = try await Self.prepared(folder)
        await #expect(try Self.run(["activate", "test-model@2.0.0"], data: data).status == 0)
        let killed = try await Self.run(["rollback", "chest-findings"], data: data, crashAt: point)
        #expect(killed.status == 9, "status \(killed.status) \(killed.stderr)")
        try await Self.expectActive(data, expected)
    }

    @Test("SIGKILL during an install leaves no half package; the active one keeps loading", arguments: [
        ("model.install.staged", false),
        ("model.install.renamed", true),
    ])
    func killedInstall(point: String, installed: Bool) async throws {
        let folder = TemporaryDirectory("cli-kill-install")
        try PackageFixture.write(at: folder.file("v1"), key: PackageFixture.key, version: "1.0.0", model: "one")
        try PackageFixture.write(at: folder.file("v2"), key: PackageFixture.key, version: "2.0.0", model: "two")
        let data = folder.file("data")
        await #expect(try Self.run(["install", folder.file("v1")], data: data).status == 0)
        await #expect(try Self.run(["activate", "test-model@1.0.0"], data: data).status == 0)
        let killed = try await Self.run(["install", folder.file("v2")], data: data, crashAt: point)
        #expect(killed.status == 9, "status \(killed.status) \(killed.stderr)")
        let listed = try await Self.list(data)
        let expectedPackages = installed ? ["test-model@1.0.0", "test-model@2.0.0"] : ["test-model@1.0.0"]
        #expect(listed.packages.map(\.package) == expectedPackages)
        let allVerified = listed.packages.allSatisfy { $0.verified }
        #expect(allVerified, "an installed package is always whole")
        try await Self.expectActive(data, "test-model@1.0.0")
        let retry = try await Self.run(["install", folder.file("v2")], data: data)
        #expect(retry.status == 0 && retry.stdout.contains(installed ? "already installed" : "installed"), "\(retry.stdout)\(retry.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/models/staging").isEmpty)
    }

    /// The task's active package per `model list` and per the library's loader (which verifies it).
    static func expectActive(_ data: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let listed = try await list(data)
        #expect(listed.tasks.first?.active == expected, sourceLocation: sourceLocation)
        let settings = ModelPackageSettings(trustedKeys: [PackageFixture.key.publicKey])
        let loaded = try await ModelPackageStore.withStore(folder: data + "/models", settings: settings, logger: quietLogger) { store in
            try await store.loadActive(task: "chest-findings").reference.description
        }
        #expect(loaded == expected, sourceLocation: sourceLocation)
    }
}
