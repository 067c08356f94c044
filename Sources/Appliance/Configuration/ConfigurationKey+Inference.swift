import Inference

extension ConfigurationKey {
    /// Model packages: where they are installed, whose signatures are trusted, and pins of the
    /// active package per task.
    static let modelPackages: [ConfigurationKey] = [
        ConfigurationKey(
            name: "inference.packagesDir", kind: .string, defaultValue: "",
            summary: "Folder for installed model packages and their activation state; empty means `models` in the data folder."
        ) { configuration, value throws(ConfigurationError) in
            configuration.modelPackages.packagesDirectory = try value.optionalText()
        },
        ConfigurationKey(
            name: "inference.trustedKeys", kind: .stringList, defaultValue: "",
            summary: "Ed25519 public keys (`ed25519:BASE64`) whose signed model packages the box accepts: the platform's or vendor's model-signing keys. None by default, so no model installs until a key is configured (the box image is built with the platform's key)."
        ) { configuration, value throws(ConfigurationError) in
            var keys: [ModelPublicKey] = []
            for text in try value.list() {
                do throws(ModelPackageError) {
                    keys.append(try ModelPublicKey(parsing: text))
                } catch {
                    throw value.invalid(error.description)
                }
            }
            configuration.modelPackages.trustedKeys = keys
        },
        ConfigurationKey(
            name: "inference.trustDemoKey", kind: .boolean, defaultValue: "false",
            summary: "Also trust the project's demo signing key, so the shipped demo model installs. Its private half is in the repository (anyone can sign with it): for development (`tools/run`) and demo images (`image/build --demo`) only, never on a box that sees patients."
        ) { configuration, value throws(ConfigurationError) in
            configuration.modelPackages.trustsDemoKey = try value.boolean()
        },
        ConfigurationKey(
            name: "inference.activePackages", kind: .stringList, defaultValue: "",
            summary: "Pins the active model package per task (`TASK=ID@VERSION`, e.g. `chest-findings=chest-phantom-demo@2.0.1`); pinned tasks ignore `fluorobox model activate`/`rollback`. Empty: the last activation counts."
        ) { configuration, value throws(ConfigurationError) in
            let entries = try value.list()
            do throws(ModelPackageError) {
                configuration.modelPackages.pinnedActive = try ModelPackageSettings.parsePins(entries)
            } catch {
                throw value.invalid(error.description)
            }
        },
    ]
}
