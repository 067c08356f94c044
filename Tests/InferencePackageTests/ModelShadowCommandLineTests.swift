import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// `fluorobox model shadow` as a technician runs it: designate an installed package as its
/// task's shadow, see it in `model list` and `status`, end it; SIGKILL mid-write leaves the old
/// designation or the new one.
@Suite("fluorobox model shadow", .serialized)
struct ModelShadowCommandLineTests {
    struct ShadowList: Decodable {
        struct Shadow: Decodable {
            var task: String
            var package: String
            var designatedBy: String
        }
        var shadows: [Shadow]
    }

    static func shadows(_ data: String) async throws -> [String] {
        let result = try await ModelCommandLineTests.run(["list", "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(ShadowList.self, from: Data(result.stdout.utf8)).shadows.map { "\($0.task)=\($0.package) by \($0.designatedBy)" }
    }

    @Test("designate, list, status, refuse the active package, clear")
    func commands() async throws {
        let folder = TemporaryDirectory("cli-model-shadow")
        let data = try await ModelCommandLineTests.prepared(folder)
        var result = try await ModelCommandLineTests.run(["shadow", "test-model@2.0.0"], data: data)
        #expect(result.status == 0 && result.stdout.hasPrefix("task chest-findings: shadow test-model@2.0.0 runs beside the active package"), "\(result.stdout)\(result.stderr)")
        #expect(try await Self.shadows(data) == ["chest-findings=test-model@2.0.0 by command"])
        result = try await ModelCommandLineTests.run(["list"], data: data)
        #expect(result.stdout.contains("Task chest-findings: shadow test-model@2.0.0 (designated by command at "), "\(result.stdout)")

        // `status` reads a store: one image makes it.
        let fluorobox = ModelCommandLineTests.fluorobox, environment = ModelCommandLineTests.environment
        #expect(try await ProcessRunner.run(fluorobox, ["demo-study", "--out", folder.file("demo.dcm"), "--size", "64"]).status == 0)
        #expect(try await ProcessRunner.run(fluorobox, ["import", folder.file("demo.dcm"), "--data-dir", data], environment: environment).status == 0)
        let status = try await ProcessRunner.run(fluorobox, ["status", "--data-dir", data], environment: environment)
        #expect(status.stdout.contains("Shadow:     chest-findings: test-model@2.0.0 beside the active package (never shown, never sent as results)"), "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("no images read in shadow yet"))

        result = try await ModelCommandLineTests.run(["shadow", "test-model@1.0.0"], data: data)
        #expect(result.status == 1 && result.stderr.contains("refused: the package is already the task's active one"), "\(result.stderr)")
        result = try await ModelCommandLineTests.run(["shadow", "test-model@9.0.0"], data: data)
        #expect(result.status == 1 && result.stderr.contains("refused: no such package is installed"), "\(result.stderr)")
        result = try await ModelCommandLineTests.run(["shadow", "--clear"], data: data)
        #expect(result.status == 64 && result.stderr.contains("--clear takes --task TASK"), "\(result.stderr)")
        result = try await ModelCommandLineTests.run(["shadow", "--clear", "--task", "../active/chest-findings"], data: data)
        #expect(result.status == 1 && result.stderr.contains("is not a task name"), "\(result.stderr)")
        #expect(try await Self.shadows(data) == ["chest-findings=test-model@2.0.0 by command"])

        result = try await ModelCommandLineTests.run(["shadow", "--clear", "--task", "chest-findings"], data: data)
        #expect(result.status == 0 && result.stdout == "task chest-findings: shadow test-model@2.0.0 ended\n", "\(result.stdout)\(result.stderr)")
        #expect(try await Self.shadows(data).isEmpty)
        result = try await ModelCommandLineTests.run(["shadow", "--clear", "--task", "chest-findings"], data: data)
        #expect(result.status == 0 && result.stdout == "task chest-findings had no shadow package\n")
    }

    @Test("SIGKILL at each step of a designation leaves none or the new one", arguments: [
        ("model.shadow.written", [String]()),
        ("model.shadow.renamed", ["chest-findings=test-model@2.0.0 by command"]),
    ])
    func killedDesignation(point: String, expected: [String]) async throws {
        let folder = TemporaryDirectory("cli-kill-shadow")
        let data = try await ModelCommandLineTests.prepared(folder)
        let killed = try await ModelCommandLineTests.run(["shadow", "test-model@2.0.0"], data: data, crashAt: point)
        #expect(killed.status == 9, "the process must die by SIGKILL at \(point): status \(killed.status) \(killed.stderr)")
        #expect(try await Self.shadows(data) == expected)
        let again = try await ModelCommandLineTests.run(["shadow", "test-model@2.0.0"], data: data)
        #expect(again.status == 0, "\(again.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data + "/models/shadow").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
