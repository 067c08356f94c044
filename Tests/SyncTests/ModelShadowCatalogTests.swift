import Appliance
import Foundation
import FluoroboxTestSupport
import Inference
import StudyStore
import Sync
import Testing

/// Shadow assignments of a real hub's catalog on a box's unchanged ModelUpdateService: a shadow
/// entry is installed and designated by the catalog (any version; the active package stays), its
/// report accepted by the hub; withdrawn, its shadow run ends, but a person's designation stays;
/// assigned again it is designated anew; assigned as active it activates; a shadow entry that is
/// the task's active package is refused.
@Suite("Shadow runs assigned by the platform's catalog", .serialized)
struct ModelShadowCatalogTests {
    @Test("a shadow entry is designated by the catalog and never activated; withdrawn it ends (a person's designation stays); re-assigned it runs again; promoted it activates")
    func shadowFromCatalog() async throws {
        // 1.9.0 is older than the active 2.0.1: a shadow may be any version.
        let rig = try await CatalogBoxRig(packages: ["a-chest_1.9.0.tar": "1.9.0", "b-chest_2.2.0.tar": "2.2.0"])
        defer { rig.stop() }
        let (service, device, directory) = (rig.service, rig.device, rig.directory)
        func assign(_ file: String, shadow: Bool = true, target: [String]? = nil) async throws {
            try await rig.hubCommand(["model", "assign", file] + (target ?? ["--region", rig.region]) + (shadow ? ["--shadow"] : []) + ["--catalog-dir", rig.catalog.path])
        }
        func unassign(_ file: String, target: [String]? = nil) async throws {
            try await rig.hubCommand(["model", "unassign", file] + (target ?? ["--region", rig.region]))
        }
        /// The task's shadow and who designated it, `-` when none.
        func shadow() async throws -> String {
            try await rig.withPackages { try await $0.shadows() }.first { $0.task == DemoModel.task }.map { "\($0.package) by \($0.designatedBy)" } ?? "-"
        }
        func outcomes(_ records: [ModelUpdateRecord]) -> [String] {
            records.map { "\($0.file) \($0.outcome.rawValue) \($0.code ?? "-") \($0.shadow == true ? "shadow" : "-")" }
        }

        // Assigned as shadow: installed and designated by the catalog though older; nothing activated.
        try await assign("a-chest_1.9.0.tar")
        let first = await rig.settledCheck()
        #expect(outcomes(first) == ["a-chest_1.9.0.tar shadowed - shadow"], "\(first)")
        #expect(try await rig.active() == "chest-phantom-demo@2.0.1")
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by catalog")
        let sha = try #require(first.first?.sha256)
        let keys = try await rig.deliverReports()
        #expect(keys.count == 1 && keys[0].hasPrefix("model-update:\(device):\(sha):shadow-"), "\(keys)")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by catalog")

        // Withdrawn: the catalog's shadow run ends and its record goes.
        try await unassign("a-chest_1.9.0.tar")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "-")
        #expect(RunStateFiles(directory: directory).modelUpdates()[ModelUpdateService.shadowKey(sha)] == nil)
        #expect(try await rig.active() == "chest-phantom-demo@2.0.1")

        // A person designates a shadow on the box after the catalog's: withdrawing the catalog's leaves it.
        try await assign("b-chest_2.2.0.tar")
        #expect(outcomes(await rig.settledCheck()) == ["b-chest_2.2.0.tar shadowed - shadow"])
        #expect(try await shadow() == "chest-phantom-demo@2.2.0 by catalog")
        _ = try await rig.withPackages { try await $0.designateShadow(PackageReference(id: "chest-phantom-demo", version: "1.9.0")) }
        try await unassign("b-chest_2.2.0.tar")
        #expect(await service.checkOnce().isEmpty)
        #expect(try await shadow() == "chest-phantom-demo@1.9.0 by command")

        // Assigned again: designated anew (over the person's), reported under a key of its own.
        try await assign("b-chest_2.2.0.tar")
        let again = await rig.settledCheck()
        #expect(outcomes(again) == ["b-chest_2.2.0.tar shadowed - shadow"], "\(again)")
        #expect(try await shadow() == "chest-phantom-demo@2.2.0 by catalog")
        #expect(try await rig.deliverReports().count == 2)

        // Calibrated, then assigned as active to the device's institution: the hub offers it as
        // active only, the box activates it, which ends its shadow run.
        let institution = ["--institution", "1.2.643.5.1"]
        try await assign("b-chest_2.2.0.tar", shadow: false, target: institution)
        let promoted = await rig.settledCheck()
        #expect(outcomes(promoted) == ["b-chest_2.2.0.tar activated - -"], "\(promoted)")
        #expect(try await rig.active() == "chest-phantom-demo@2.2.0")
        #expect(try await shadow() == "-")

        // Offered as shadow again while it is the active package: refused, nothing changes.
        try await unassign("b-chest_2.2.0.tar", target: institution)
        let refused = await rig.settledCheck()
        #expect(outcomes(refused) == ["b-chest_2.2.0.tar refused shadow-is-active shadow"], "\(refused)")
        #expect(try await rig.active() == "chest-phantom-demo@2.2.0")
        #expect(try await shadow() == "-")
        #expect(try await rig.deliverReports().count == 2)
    }
}
