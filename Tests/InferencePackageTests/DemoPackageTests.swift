import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// The demo package shipped in models/chest-phantom-demo, read in place as a box would.
/// (Its outputs against ONNX Runtime are checked by tools/model/check_package.py.)
@Suite("shipped demo model package")
struct DemoPackageTests {
    static let folder = TestData.packageRoot + "/models/chest-phantom-demo"

    @Test("it verifies with the demo key and says what it is and is not")
    func verifies() throws {
        let package = try ModelPackageVerifier(trustedKeys: [ModelPublicKey.demo]).verify(directory: Self.folder)
        let manifest = package.manifest
        #expect(package.keyID == ModelPublicKey.demo.keyID)
        #expect(manifest.id == "chest-phantom-demo" && manifest.task == "chest-findings")
        #expect(manifest.intendedUse.hasPrefix("A demonstration model trained on synthetic phantoms, not for clinical use."))
        #expect(manifest.registrationNumber == nil)
        #expect(manifest.modalities.contains("DX") && manifest.bodyPart == "CHEST")
        #expect(manifest.outputs.findings.labels.map(\.id) == ["nodule", "consolidation", "effusion"])
        #expect(manifest.outputs.findings.labels.allSatisfy { $0.threshold > 0 && $0.threshold < 1 })
        #expect(manifest.outputs.heatMap.name == "heatmap" && manifest.outputs.heatMap.shape == [1, 3, 16, 16])
        #expect(manifest.input.shape == [1, 1, 256, 256] && manifest.input.windowing.method == "percentile")
        #expect(manifest.reference.cases.map(\.name) == ["normal", "nodule", "consolidation", "effusion"])
        #expect(manifest.reference.tolerance == 0.02)
        // ONNX files start with a protobuf field 1 (ir_version, varint): 0x08.
        #expect(package.modelBytes.first == 0x08)
        let total = manifest.files.reduce(Int64(0)) { $0 + $1.size }
        #expect(total < 2_000_000, "the shipped package stays small: \(total) bytes")
        let card = try String(contentsOfFile: Self.folder + "/MODEL_CARD.md", encoding: .utf8)
        #expect(card.contains("AUROC") && card.contains("localisation hit rate") && card.contains("not for clinical use"))
    }

    @Test("the committed demo private key is the pair of the demo public key, which no box trusts by default")
    func demoKey() throws {
        let text = try String(contentsOfFile: TestData.packageRoot + "/tools/model/keys/demo-signing.key", encoding: .utf8)
        #expect(text.contains("DEMO KEY"))
        let key = try ModelSigningKey(fileText: text)
        #expect(key.publicKey == ModelPublicKey.demo)
        let published = try String(contentsOfFile: TestData.packageRoot + "/tools/model/keys/demo-signing.pub", encoding: .utf8)
        #expect(try ModelPublicKey(parsing: published) == ModelPublicKey.demo)
        #expect(!ModelPackageSettings().trustedKeys.contains(.demo))
    }

    @Test("a box with the default configuration refuses it; one that asks to trust the demo key installs and activates it")
    func installsOnlyWhereTheDemoKeyIsTrusted() async throws {
        let data = TemporaryDirectory("demo-install")
        // Its private key is in the repository: by default nothing signed with it installs.
        var result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "install", Self.folder, "--data-dir", data.path])
        #expect(result.status == 1 && result.stderr.contains("not trusted"), "\(result.stdout)\(result.stderr)")
        result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "verify", Self.folder])
        #expect(result.status == 1 && result.stdout.contains("not trusted"), "\(result.stdout)\(result.stderr)")
        let demo = ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"]
        result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "install", Self.folder, "--data-dir", data.path], environment: demo)
        #expect(result.status == 0 && result.stdout.hasPrefix("installed chest-phantom-demo@2.0.1"), "\(result.stdout)\(result.stderr)")
        result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "activate", "chest-phantom-demo@2.0.1", "--data-dir", data.path], environment: demo)
        #expect(result.status == 0 && result.stdout == "task chest-findings: active chest-phantom-demo@2.0.1\n", "\(result.stderr)")
        result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "verify", Self.folder], environment: demo)
        #expect(result.status == 0 && result.stdout.contains("intended use: A demonstration model trained on synthetic phantoms, not for clinical use."))
        // A box that trusts only its own vendor key refuses the demo package.
        let vendor = ModelSigningKey().publicKey.text
        result = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "verify", Self.folder], environment: ["FLUOROBOX_INFERENCE_TRUSTED_KEYS": vendor])
        #expect(result.status == 1 && result.stdout.contains("not trusted"))
    }
}
