import FluoroboxTestSupport
import Appliance
import Inference
import Testing

/// The `inference.*` configuration keys.
@Suite("model package configuration")
struct ModelPackageConfigurationTests {
    @Test("defaults: no key is trusted (not the demo key), packages live in the data folder, nothing is pinned")
    func defaults() throws {
        let (configuration, warnings) = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_DATA_DIR": "/srv/box"])
        #expect(warnings.isEmpty)
        #expect(configuration.modelPackages.trustedKeys.isEmpty)
        #expect(!configuration.modelPackages.trustsDemoKey)
        #expect(ModelPackageSettings().trustedKeys.isEmpty)
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

    @Test("the demo key is trusted only when configuration asks, beside the listed keys, whatever the order")
    func demoKeyOnRequest() throws {
        let vendor = ModelSigningKey().publicKey
        var (configuration, _) = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true"])
        #expect(configuration.modelPackages.trustedKeys == [ModelPublicKey.demo])
        (configuration, _) = try ApplianceConfiguration.load(file: nil, environment: [
            "FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "yes", "FLUOROBOX_INFERENCE_TRUSTED_KEYS": vendor.text,
        ])
        #expect(configuration.modelPackages.trustedKeys == [vendor, ModelPublicKey.demo])
        (configuration, _) = try ApplianceConfiguration.load(file: nil, environment: [
            "FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "false", "FLUOROBOX_INFERENCE_TRUSTED_KEYS": vendor.text,
        ])
        #expect(configuration.modelPackages.trustedKeys == [vendor])
        // Listing the demo key explicitly trusts it too, once.
        var settings = ModelPackageSettings(trustedKeys: [.demo], trustsDemoKey: true)
        #expect(settings.trustedKeys == [.demo])
        settings.trustedKeys = [vendor]
        #expect(settings.trustedKeys == [vendor, .demo] && settings.listedKeys == [vendor])
    }

    @Test("the box image's configuration file: platform key only, or the demo key for a demo build")
    func imageConfiguration() throws {
        let folder = TemporaryDirectory("image-config")
        let platform = ModelSigningKey().publicKey
        let production = try folder.write("production.json", Array("""
            {"dataDir": "/data/fluorobox", "inference": {"trustedKeys": ["\(platform.text)"], "trustDemoKey": false}}
            """.utf8))
        var (configuration, warnings) = try ApplianceConfiguration.load(file: production, environment: [:])
        #expect(warnings.isEmpty && configuration.modelPackages.trustedKeys == [platform])
        let demo = try folder.write("demo.json", Array("""
            {"dataDir": "/data/fluorobox", "inference": {"trustedKeys": [], "trustDemoKey": true}}
            """.utf8))
        (configuration, warnings) = try ApplianceConfiguration.load(file: demo, environment: [:])
        #expect(warnings.isEmpty && configuration.modelPackages.trustedKeys == [ModelPublicKey.demo])
    }

    @Test("a bad key or pin stops the configuration with the key's name", arguments: [
        ("FLUOROBOX_INFERENCE_TRUSTED_KEYS", "ed25519:c2hvcnQ=", "inference.trustedKeys"),
        ("FLUOROBOX_INFERENCE_TRUSTED_KEYS", "not base64 at all!", "inference.trustedKeys"),
        ("FLUOROBOX_INFERENCE_TRUST_DEMO_KEY", "maybe", "inference.trustDemoKey"),
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
