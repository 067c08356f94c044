import ArgumentParser
import Appliance
import Foundation
import Inference
import Logging

/// The model package subcommands of `fluorobox model`.
enum ModelPackageCommands {
    static let all: [any ParsableCommand.Type] = [
        List.self, Install.self, Activate.self, Rollback.self, Shadow.self, Verify.self, Sign.self, Pack.self, Keygen.self,
    ]

    /// Loads configuration and logging, opens the packages folder and runs `body`; a refusal
    /// is printed as "refused: <which check>: <detail>" with exit status 1.
    static func withStore<T: Sendable>(
        _ common: CommonOptions, create: Bool = true, _ body: (ModelPackageStore) async throws -> T
    ) async throws -> T {
        let configuration = try common.loadConfiguration()
        let logger = common.bootstrapLogging(level: nil)
        return try await refusing {
            try await ModelPackageStore.withStore(
                folder: configuration.modelPackagesDirectory, settings: configuration.modelPackages, logger: logger, create: create, body
            )
        }
    }

    /// Runs `body`; a package check that refuses is printed as "refused: <which check>:
    /// <detail>" with exit status 1, not as a Swift error.
    static func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ModelPackageError {
            printError("refused: \(error)")
            throw ExitCode(1)
        }
    }

    static func short(_ hash: String) -> String { String(hash.prefix(12)) }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Installed packages (verified now), and the active and previous package per task."
        )

        @OptionGroup var common: CommonOptions

        @OptionGroup var output: JSONOutput

        struct Document: Encodable {
            struct Package: Encodable {
                var package: String
                var task: String?
                var verified: Bool
                var problem: String?
                var packageSHA256: String?
                var modelSHA256: String?
                var keyId: String?
                var activeFor: [String]
                var previousFor: [String]
            }
            var folder: String
            var packages: [Package]
            var tasks: [ActivationRecord]
            var shadows: [ShadowDesignation]
        }

        func run() async throws {
            let configuration = try common.loadConfiguration()
            let folder = configuration.modelPackagesDirectory
            var packages: [ModelPackageStore.InstalledPackage] = []
            var records: [ActivationRecord] = []
            var shadows: [ShadowDesignation] = []
            // Listing never creates the packages folder; a box without one has nothing installed.
            if FileManager.default.fileExists(atPath: folder) {
                (packages, records, shadows) = try await withStore(common, create: false) { store in
                    (try await store.list(), try await store.activations(), try await store.shadows())
                }
            }
            let document = Document(
                folder: folder,
                packages: packages.map { installed in
                    switch installed.verification {
                    case .success(let package):
                        Document.Package(
                            package: installed.reference.description, task: package.manifest.task, verified: true, problem: nil,
                            packageSHA256: package.packageSHA256, modelSHA256: package.modelSHA256, keyId: package.keyID,
                            activeFor: installed.activeFor, previousFor: installed.previousFor
                        )
                    case .failure(let error):
                        Document.Package(
                            package: installed.reference.description, task: nil, verified: false, problem: error.description,
                            packageSHA256: nil, modelSHA256: nil, keyId: nil,
                            activeFor: installed.activeFor, previousFor: installed.previousFor
                        )
                    }
                },
                tasks: records,
                shadows: shadows
            )
            if try output.printed(document) { return }
            print("Model packages in \(folder)")
            if document.packages.isEmpty { print("  (none installed)") }
            for package in document.packages {
                var roles = package.activeFor.map { "active for \($0)" } + package.previousFor.map { "previous for \($0)" }
                if roles.isEmpty { roles = ["installed"] }
                let state = package.verified
                    ? "verified (package \(short(package.packageSHA256 ?? "")), key \(package.keyId ?? ""))"
                    : "DOES NOT VERIFY: \(package.problem ?? "")"
                print("  \(package.package)  task \(package.task ?? "?")  \(roles.joined(separator: ", "))  \(state)")
            }
            for record in document.tasks {
                let previous = record.previous.map { ", previous \($0)" } ?? ""
                let source = record.change == "configuration" ? " (pinned by configuration)" : " (\(record.change) at \(record.changedAt))"
                print("Task \(record.task): active \(record.active)\(previous)\(source)")
            }
            for shadow in document.shadows {
                print("Task \(shadow.task): shadow \(shadow.package) (designated by \(shadow.designatedBy) at \(shadow.designatedAt))")
            }
        }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a package folder or .tar archive and install it (it does not become active until `model activate`)."
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: "Package folder or .tar archive.")
        var path: String

        func run() async throws {
            let outcome = try await withStore(common) { store in try await store.install(from: path) }
            switch outcome {
            case .installed(let package):
                print("installed \(package.reference) (task \(package.manifest.task), package \(short(package.packageSHA256)), signed by key \(package.keyID))")
            case .alreadyInstalled(let package):
                print("already installed \(package.reference) (package \(short(package.packageSHA256)))")
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an installed package the active one of its task; the one before stays as the rollback target."
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: "ID@VERSION, e.g. chest-phantom-demo@2.0.1.")
        var package: String

        func run() async throws {
            let reference: PackageReference
            do {
                reference = try PackageReference(parsing: package)
            } catch {
                throw ValidationError(error.description)
            }
            let record = try await withStore(common) { store in try await store.activate(reference) }
            print("task \(record.task): active \(record.active)" + (record.previous.map { ", previous \($0)" } ?? ""))
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the task's previous package active again (a second rollback undoes the first)."
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: "The task, e.g. chest-findings.")
        var task: String

        func run() async throws {
            let record = try await withStore(common) { store in try await store.rollback(task: task) }
            print("task \(record.task): rolled back to \(record.active)" + (record.previous.map { ", previous \($0)" } ?? ""))
        }
    }

    struct Shadow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run an installed package in shadow beside its task's active one (results recorded and compared, never shown or sent as results), or end it with --clear --task TASK."
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: "ID@VERSION of an installed package of the task; not with --clear.")
        var package: String?

        @Flag(name: .long, help: "End the shadow run of --task.")
        var clear = false

        @Option(name: .long, help: "The task whose shadow run --clear ends.")
        var task: String?

        func validate() throws {
            if clear {
                guard task != nil, package == nil else { throw ValidationError("--clear takes --task TASK and no package") }
            } else {
                guard package != nil, task == nil else { throw ValidationError("name the package (ID@VERSION), or end a shadow run with --clear --task TASK") }
            }
        }

        func run() async throws {
            if let task, clear {
                let removed = try await withStore(common) { store in try await store.clearShadow(task: task) }
                print(removed.map { "task \(task): shadow \($0.package) ended" } ?? "task \(task) had no shadow package")
                return
            }
            let reference: PackageReference
            do {
                reference = try PackageReference(parsing: package ?? "")
            } catch {
                throw ValidationError(error.description)
            }
            let designation = try await withStore(common) { store in try await store.designateShadow(reference) }
            print("task \(designation.task): shadow \(designation.package) runs beside the active package on new images (package \(short(designation.packageSHA256)))")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a package folder or .tar archive as the box would before loading it; exit 1 names the failed check."
        )

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "Trust this public key (ed25519:BASE64) as well as the configured ones.")
        var trust: [String] = []

        @Argument(help: "Package folder or .tar archive.")
        var path: String

        func run() async throws {
            let configuration = try common.loadConfiguration()
            var keys = configuration.modelPackages.trustedKeys
            for text in trust {
                do { keys.append(try ModelPublicKey(parsing: text)) } catch { throw ValidationError(error.description) }
            }
            var folder = path
            var unpacked: String?
            defer { if let unpacked { try? FileManager.default.removeItem(atPath: unpacked) } }
            do {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    throw ModelPackageError(.notAPackage, "\(path) does not exist")
                }
                if !isDirectory.boolValue {
                    let temporary = NSTemporaryDirectory() + "fluorobox-verify-\(UUID().uuidString.prefix(8))"
                    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
                    unpacked = temporary
                    try ModelPackageArchive.unpack(path, into: temporary)
                    folder = temporary
                    print("archive: ok (unpacked safely)")
                }
                let package = try ModelPackageVerifier(trustedKeys: keys).verify(directory: folder)
                let manifest = package.manifest
                print("signature: ok (key \(package.keyID), trusted)")
                print("manifest: ok (\(manifest.id)@\(manifest.version), task \(manifest.task), \(manifest.modalities.joined(separator: "/")) \(manifest.bodyPart))")
                print("files: ok (\(manifest.files.count) pinned, model.onnx sha256 \(package.modelSHA256))")
                print("reference: ok (\(manifest.reference.cases.count) cases fit the input \(manifest.input.shape) and outputs)")
                print("labels: " + manifest.outputs.findings.labels.map { "\($0.id) ≥ \($0.threshold)" }.joined(separator: ", "))
                print("intended use: \(manifest.intendedUse)")
                print("package sha256: \(package.packageSHA256)")
                print("verified \(manifest.id)@\(manifest.version)")
            } catch let error as ModelPackageError {
                print("FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a package folder: checks its manifest and pins, writes manifest.sig."
        )

        @Option(name: .long, help: "Private key file (see `fluorobox model keygen`).")
        var key: String

        @Argument(help: "Package folder.")
        var path: String

        func run() async throws {
            try await ModelPackageCommands.refusing {
                let text = try String(contentsOfFile: key, encoding: .utf8)
                let signingKey = try ModelSigningKey(fileText: text)
                let package = try ModelPackageSigner.sign(directory: path, with: signingKey)
                print("signed \(package.reference) with key \(package.keyID) (package \(package.packageSHA256))")
                print("public key: \(signingKey.publicKey.text)")
            }
        }
    }

    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a package folder as one .tar archive (manifest, signature and the pinned files only)."
        )

        @Option(name: .long, help: "Archive to write.")
        var out: String

        @Argument(help: "Package folder.")
        var path: String

        func run() async throws {
            try await ModelPackageCommands.refusing {
                let manifestBytes = try Data(contentsOf: URL(fileURLWithPath: path + "/" + ModelPackageManifest.manifestFileName))
                let manifest = try JSONDecoder().decode(ModelPackageManifest.self, from: manifestBytes)
                let files = [ModelPackageManifest.manifestFileName, ModelPackageManifest.signatureFileName] + manifest.files.map(\.path)
                let archive = try ModelPackageArchive.pack(folder: path, files: files)
                try archive.write(to: URL(fileURLWithPath: out), options: .atomic)
                print("wrote \(out) (\(archive.count) bytes, \(files.count) files)")
            }
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 signing key pair: PREFIX.key (private, mode 0600) and PREFIX.pub."
        )

        @Option(name: .long, help: "Path prefix of the two files.")
        var out: String

        @Option(name: .long, help: "Comment line for the private key file (repeatable).")
        var comment: [String] = []

        func run() async throws {
            let key = ModelSigningKey()
            let privatePath = out + ".key", publicPath = out + ".pub"
            for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(path) exists; refusing to overwrite a key")
            }
            let lines = comment.isEmpty ? ["Fluorobox model signing key (Ed25519). Keep it secret."] : comment
            guard FileManager.default.createFile(atPath: privatePath, contents: Data(key.fileText(comment: lines).utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(privatePath)")
            }
            try Data((key.publicKey.text + "\n").utf8).write(to: URL(fileURLWithPath: publicPath))
            print("private key: \(privatePath)")
            print("public key:  \(publicPath) \(key.publicKey.text) (id \(key.publicKey.keyID))")
        }
    }
}
