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
            name: "inference.trustedKeys", kind: .stringList, defaultValue: ModelPublicKey.demoKeyText,
            summary: "Ed25519 public keys (`ed25519:BASE64`) whose signed model packages the box accepts. The default is the project's demo key, for the shipped demo model only; list your own keys for real models."
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
            name: "inference.activePackages", kind: .stringList, defaultValue: "",
            summary: "Pins the active model package per task (`TASK=ID@VERSION`, e.g. `chest-findings=chest-phantom-demo@2.0.0`); pinned tasks ignore `fluorobox model activate`/`rollback`. Empty: the last activation counts."
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
