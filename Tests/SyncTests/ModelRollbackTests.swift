import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

/// A staged rollout rolled back on a real hub: the box's unchanged ModelUpdateService goes back
/// to the package the rollout replaced because the catalog marks it as a roll back, and only
/// then; an ordinary entry still never takes a task down.
@Suite("Model roll back from the platform's catalog", .serialized)
struct ModelRollbackTests {
    @Test("a roll back entry takes the box back to the replaced package over its earlier record, reported as a roll back; an older ordinary entry is refused as not newer")
    func rollsBack() async throws {
        let rig = try await CatalogBoxRig(
            packages: ["a-chest_2.1.0.tar": "2.1.0", "b-chest_2.2.0.tar": "2.2.0", "c-chest_1.9.0.tar": "1.9.0"],
            assigned: ["a-chest_2.1.0.tar", "b-chest_2.2.0.tar", "c-chest_1.9.0.tar"])
        defer { rig.stop() }
        _ = try await rig.hubCommand(["model", "rollout", "start", "b-chest_2.2.0.tar", "--region", rig.region, "--replaces", "a-chest_2.1.0.tar", "--stages", "100"])

        // 2.1.0 then 2.2.0 activate; 1.9.0, an ordinary entry, is refused as not newer.
        let first = await rig.service.checkOnce()
        #expect(first.map { "\($0.file) \($0.outcome.rawValue) \($0.code ?? "-")" } == [
            "a-chest_2.1.0.tar activated -", "b-chest_2.2.0.tar activated -", "c-chest_1.9.0.tar refused not-newer",
        ])
        #expect(try await rig.active() == "chest-phantom-demo@2.2.0")
        #expect(try await rig.deliverReports().count == 3)

        // Nothing marked as a roll back yet: a second poll changes nothing.
        #expect(await rig.service.checkOnce().isEmpty)
        _ = try await rig.hubCommand(["model", "rollout", "rollback", "1", "--by", "ops"])

        let back = await rig.service.checkOnce()
        #expect(back.map { "\($0.file) \($0.outcome.rawValue) \($0.rollback == true)" } == ["a-chest_2.1.0.tar activated true"], "\(back)")
        #expect(try await rig.active() == "chest-phantom-demo@2.1.0")
        let keys = try await rig.deliverReports()
        let sha = try #require(back.first?.sha256)
        #expect(keys.count == 1 && keys[0].hasPrefix("model-update:\(rig.device):\(sha):rollback-"), "\(keys)")
        // Done once: the entry stays in the catalog, the box does not install it again.
        #expect(await rig.service.checkOnce().isEmpty)
        #expect(RunStateFiles(directory: rig.directory).modelUpdates()[sha]?.rollback == true)
        let show = try await rig.hubCommand(["model", "rollout", "show", "1"])
        #expect(show.contains("rolled-back"), "\(show)")
    }
}
