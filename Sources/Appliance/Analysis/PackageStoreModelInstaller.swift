import Foundation
import Inference
import Logging
import POSIXSupport
import Sync

/// The model update flow's access to the box's model packages (``ModelPackageStore``) and
/// runtime (``InferenceModel``): verification by the package verifier, the reference check
/// (``VerifiedModelPackage/checkReference(threads:logger:)``) on the real runtime, install and
/// activate, or install and designate as shadow (`designatedBy` `catalog`), by the store (each
/// atomic on disk).
public struct PackageStoreModelInstaller: ModelUpdateInstaller {
    let packagesDirectory: String
    let settings: ModelPackageSettings
    let threads: Int
    let logger: Logger

    public init(packagesDirectory: String, settings: ModelPackageSettings, threads: Int = 1, logger: Logger) {
        self.packagesDirectory = packagesDirectory
        self.settings = settings
        self.threads = threads
        self.logger = logger
    }

    public func verify(archive: String, workFolder: String) async throws(ModelUpdateError) -> ModelCandidate {
        let trusted = settings.trustedKeys
        let result: Result<VerifiedModelPackage, ModelPackageError> = await Self.blocking {
            try Posix.makeDirectories(workFolder, mode: 0o700)
            try ModelPackageArchive.unpack(archive, into: workFolder)
            return try ModelPackageVerifier(trustedKeys: trusted).verify(directory: workFolder)
        }
        switch result {
        case .success(let package):
            return ModelCandidate(
                identity: .init(id: package.manifest.id, version: package.manifest.version), task: package.manifest.task,
                packageSHA256: package.packageSHA256, folder: workFolder
            )
        case .failure(let error):
            throw ModelUpdateError(.verification, error.description)
        }
    }

    public func active(task: String) async -> ModelCandidate.Identity? {
        let records = try? await ModelPackageStore.withStore(folder: packagesDirectory, settings: settings, logger: logger) {
            try await $0.activations()
        }
        guard let record = records?.first(where: { $0.task == task }) else { return nil }
        return .init(id: record.active.id, version: record.active.version)
    }

    public func checkReference(_ candidate: ModelCandidate) async throws(ModelUpdateError) {
        let trusted = settings.trustedKeys, threads = threads, logger = logger
        let result: Result<String, ModelPackageError> = await Self.blocking {
            // Verified again: what runs is exactly what was signed.
            let package = try ModelPackageVerifier(trustedKeys: trusted).verify(directory: candidate.folder)
            let worst = try package.checkReference(threads: threads, logger: logger)
            return String(format: "%.4f", worst)
        }
        switch result {
        case .success(let worst):
            logger.info("model reference check passed", metadata: ["package": "\(candidate.identity)", "largest_difference": "\(worst)"])
        case .failure(let error):
            throw ModelUpdateError(.referenceCheck, error.detail)
        }
    }

    public func installAndActivate(archive: String, candidate: ModelCandidate) async throws(ModelUpdateError) {
        try await install(archive: archive, candidate: candidate) { store, reference in _ = try await store.activate(reference) }
    }

    public func installAndDesignateShadow(archive: String, candidate: ModelCandidate) async throws(ModelUpdateError) {
        try await install(archive: archive, candidate: candidate) { store, reference in
            _ = try await store.designateShadow(reference, designatedBy: ShadowDesignation.byCatalog)
        }
    }

    public func catalogShadows() async throws(ModelUpdateError) -> [String: ModelCandidate.Identity] {
        do {
            let designations = try await ModelPackageStore.withStore(folder: packagesDirectory, settings: settings, logger: logger) {
                try await $0.shadows()
            }
            return Dictionary(uniqueKeysWithValues: designations.filter { $0.designatedBy == ShadowDesignation.byCatalog }.map {
                ($0.task, ModelCandidate.Identity(id: $0.package.id, version: $0.package.version))
            })
        } catch {
            throw ModelUpdateError(.install, "reading the shadow designations: \(error)")
        }
    }

    public func endCatalogShadow(task: String, package: ModelCandidate.Identity) async throws(ModelUpdateError) -> Bool {
        do {
            return try await ModelPackageStore.withStore(folder: packagesDirectory, settings: settings, logger: logger) {
                try await $0.clearShadow(
                    task: task, ifItIs: PackageReference(id: package.id, version: package.version), designatedBy: ShadowDesignation.byCatalog) != nil
            }
        } catch {
            throw ModelUpdateError(.install, "ending the shadow run of \(task): \(error)")
        }
    }

    /// Installs the archive, checks the installed package is the one verified, and hands it to
    /// `then` (activate, or designate as shadow) under the same opening of the store.
    private func install(
        archive: String, candidate: ModelCandidate, then: (ModelPackageStore, PackageReference) async throws -> Void
    ) async throws(ModelUpdateError) {
        do {
            try await ModelPackageStore.withStore(folder: packagesDirectory, settings: settings, logger: logger) { store in
                let outcome = try await store.install(from: archive)
                let package: VerifiedModelPackage
                switch outcome {
                case .installed(let installed), .alreadyInstalled(let installed): package = installed
                }
                guard package.packageSHA256 == candidate.packageSHA256 else {
                    throw ModelPackageError(.fileMismatch, "the installed package is not the one checked")
                }
                try await then(store, package.reference)
            }
        } catch let error as ModelPackageError {
            let code: ModelUpdateErrorCode = switch error.code {
            case .fileSystem: .install
            case .shadowIsActive: .shadowIsActive
            default: .verification
            }
            throw ModelUpdateError(code, error.description)
        } catch {
            throw ModelUpdateError(.install, "\(error)")
        }
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, ModelPackageError> {
        do {
            return .success(try await BlockingIO.run(body))
        } catch let error as ModelPackageError {
            return .failure(error)
        } catch let error as SystemCallError {
            return .failure(ModelPackageError(.fileSystem, "checking a model update: \(error)"))
        } catch {
            return .failure(ModelPackageError(.fileSystem, "\(error)"))
        }
    }
}
