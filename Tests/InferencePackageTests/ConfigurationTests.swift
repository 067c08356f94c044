import Appliance
import Inference
import Testing

/// The `inference.*` configuration keys.
@Suite("model package configuration")
struct ModelPackageConfigurationTests {
    @Test("defaults: the demo key is trusted, packages live in the data folder, nothing is pinned")
    func defaults() throws {
        let (configuration, warnings) = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_DATA_DIR": "/srv/box"])
        #expect(warnings.isEmpty)
        #expect(configuration.modelPackages.trustedKeys == [ModelPublicKey.demo])
        #expect(configuration.modelPackagesDirectory == "/srv/box/models")
        #expect(configuration.modelPackages.pinnedActive.isEmpty)
    }

    @Test("keys, folder and pins from the environment")
    func fromEnvironment() throws {
        let vendor = ModelSigningKey().publicKey
        let (configuration, _) = try ApplianceConfiguration.load(file: nil, environment: [
            "FLUOROBOX_INFERENCE_TRUSTED_KEYS": "\(vendor.text), \(ModelPublicKey.demo.text)",
            "FLUOROBOX_INFERENCE_PACKAGES_DIR": "/opt/models",
            "FLUOROBOX_INFERENCE_ACTIVE_PACKAGES": "chest-findings=vendor-model@2.1",
        ])
        #expect(configuration.modelPackages.trustedKeys == [vendor, ModelPublicKey.demo])
        #expect(configuration.modelPackagesDirectory == "/opt/models")
        #expect(configuration.modelPackages.pinnedActive == ["chest-findings": PackageReference(id: "vendor-model", version: "2.1")])
    }

    @Test("a bad key or pin stops the configuration with the key's name", arguments: [
        ("FLUOROBOX_INFERENCE_TRUSTED_KEYS", "ed25519:c2hvcnQ=", "inference.trustedKeys"),
        ("FLUOROBOX_INFERENCE_TRUSTED_KEYS", "not base64 at all!", "inference.trustedKeys"),
        ("FLUOROBOX_INFERENCE_ACTIVE_PACKAGES", "chest-findings", "inference.activePackages"),
        ("FLUOROBOX_INFERENCE_ACTIVE_PACKAGES", "chest-findings=../x@1", "inference.activePackages"),
    ])
    func invalid(variable: String, value: String, key: String) {
        #expect {
            _ = try ApplianceConfiguration.load(file: nil, environment: [variable: value])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
