import Foundation
import Logging
import POSIXSupport

/// The installed model packages of a box and which one is active per task.
///
///     <packages folder>/
///       packages/<id>@<version>/   one verified copy per package (manifest, signature, pinned files)
///       active/<task>.json         ActivationRecord: active and previous package of the task
///       shadow/<task>.json         ShadowDesignation: the package run beside the active one
///       staging/                   installs in progress (removed at the next change)
///       lock                       flock: one changer at a time across processes
///
/// Every change is atomic on disk: an install is copied and verified in staging and appears by
/// one rename; an activation or rollback replaces one small file by rename. A package is
/// verified again (signature, pins) each time it is activated or loaded, so one changed on disk
/// after installation never runs. The blocking file work is small (a manifest and a model of
/// a few MB); callers on an event loop run it through `BlockingIO.run`.
public actor ModelPackageStore {
    public let folder: String
    public let settings: ModelPackageSettings
    let logger: Logger
    private let verifier: ModelPackageVerifier
    private var state: State

    private enum State {
        /// The lock file is open; operations take it shared or exclusive while they run.
        case open(FileLock)
        case closed
    }

    /// Outcome of ``install(from:)``.
    public enum InstallOutcome: Sendable {
        case installed(VerifiedModelPackage)
        /// The same package (same manifest hash) was already installed.
        case alreadyInstalled(VerifiedModelPackage)
    }

    /// One installed package as `model list` shows it.
    public struct InstalledPackage: Sendable {
        public let reference: PackageReference
        public let directory: String
        /// The verified package, or why it no longer verifies.
        public let verification: Result<VerifiedModelPackage, ModelPackageError>
        /// Tasks it is active for, and tasks it is the rollback target of.
        public let activeFor: [String]
        public let previousFor: [String]
    }

    private init(folder: String, settings: ModelPackageSettings, logger: Logger, lock: FileLock) {
        self.folder = folder
        self.settings = settings
        self.logger = logger
        self.verifier = ModelPackageVerifier(trustedKeys: settings.trustedKeys)
        self.state = .open(lock)
    }

    /// Opens the packages folder (creating it when `create`), runs `body`, and closes it.
    public static func withStore<T: Sendable>(
        folder: String, settings: ModelPackageSettings, logger: Logger, create: Bool = true,
        _ body: (ModelPackageStore) async throws -> T
    ) async throws -> T {
        let lock: FileLock
        do {
            if create {
                for sub in ["", "/packages", "/active", "/staging"] { try Posix.makeDirectories(folder + sub) }
            } else if !PackageFiles.isDirectory(folder) {
                throw ModelPackageError(.notInstalled, "no packages folder at \(folder)")
            }
            lock = try FileLock(path: folder + "/lock")
        } catch let error as SystemCallError {
            throw ModelPackageError.fileSystem(error, while: "opening the packages folder \(folder)")
        }
        let store = ModelPackageStore(folder: folder, settings: settings, logger: logger, lock: lock)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    private func close() {
        state = .closed
    }

    func withLock<T>(_ mode: FileLock.Mode, _ body: () throws -> T) throws -> T {
        guard case .open(let lock) = state else {
            throw ModelPackageError(.fileSystem, "the package store is closed")
        }
        return try lock.withLock(mode, body)
    }

    var packagesFolder: String { folder + "/packages" }
    var activeFolder: String { folder + "/active" }
    var stagingFolder: String { folder + "/staging" }

    func directory(of reference: PackageReference) -> String { packagesFolder + "/" + reference.description }

    // MARK: Reading

    /// Every installed package, verified now, with its roles.
    public func list() throws -> [InstalledPackage] {
        try withLock(.shared) {
            let records = try activationRecords()
            var output: [InstalledPackage] = []
            for name in try entries(packagesFolder).sorted() {
                guard let reference = try? PackageReference(parsing: name) else { continue }
                let directory = directory(of: reference)
                let verification: Result<VerifiedModelPackage, ModelPackageError>
                verification = Result { () throws(ModelPackageError) in try verifyInstalled(reference, at: directory) }
                output.append(InstalledPackage(
                    reference: reference, directory: directory, verification: verification,
                    activeFor: records.filter { activeReference(of: $0) == reference }.map(\.task).sorted(),
                    previousFor: records.filter { $0.previous == reference }.map(\.task).sorted()
                ))
            }
            return output
        }
    }

    /// The activation state of every task that has one (pins from configuration applied).
    public func activations() throws -> [ActivationRecord] {
        try withLock(.shared) { try activationRecords() }
    }

    /// The active package of `task`, verified now. This is how the runtime gets a model.
    public func loadActive(task: String) throws -> VerifiedModelPackage {
        try withLock(.shared) {
            let reference: PackageReference
            if let pinned = settings.pinnedActive[task] {
                reference = pinned
            } else if let record = try readRecord(task: task) {
                reference = record.active
            } else {
                throw ModelPackageError(.noActivePackage, "task \(task) has no active package; install one and run `fluorobox model activate ID@VERSION`")
            }
            let package = try verifyInstalled(reference, at: directory(of: reference))
            guard package.manifest.task == task else {
                throw ModelPackageError(.malformedManifest, "\(reference) is for task \(package.manifest.task), not \(task)")
            }
            return package
        }
    }

    // MARK: Changing

    /// Verifies a package folder or archive and installs a copy of exactly the files its
    /// manifest pins. The source is left as it was.
    public func install(from source: String) throws -> InstallOutcome {
        try withLock(.exclusive) {
            try cleanStaging()
            let sourceStatus: FileStatus
            do {
                sourceStatus = try Posix.fileStatus(source)
            } catch let error as SystemCallError {
                throw ModelPackageError(.notAPackage, "\(source): \(error.reason)", underlying: error)
            }
            var folder = source
            if sourceStatus.isRegularFile {
                folder = try makeStagingFolder("unpacked")
                try ModelPackageArchive.unpack(source, into: folder)
            } else if !sourceStatus.isDirectory {
                throw ModelPackageError(.notAPackage, "\(source) is neither a folder nor an archive")
            }
            let incoming = try verifier.verify(directory: folder)
            let reference = incoming.reference
            let final = directory(of: reference)

            if PackageFiles.exists(final) {
                do {
                    let existing = try verifyInstalled(reference, at: final)
                    if existing.packageSHA256 == incoming.packageSHA256 {
                        try cleanStaging()
                        return .alreadyInstalled(existing)
                    }
                    throw ModelPackageError(
                        .conflictingInstall,
                        "\(reference) is installed with package hash \(existing.packageSHA256), this one has \(incoming.packageSHA256); a changed package needs a new version"
                    )
                } catch let error as ModelPackageError where error.isVerificationFailure {
                    logger.warning("replacing an installed copy that no longer verifies", metadata: ["package": "\(reference)", "reason": "\(error)"])
                    try moveAside(final)
                }
            }

            let staged = try makeStagingFolder("install")
            try copyPackage(incoming, to: staged)
            let verified = try verifier.verify(directory: staged)
            guard verified.packageSHA256 == incoming.packageSHA256 else {
                throw ModelPackageError(.fileMismatch, "\(source) changed while it was installed")
            }
            CrashPoint.reached("model.install.staged")
            try fileSystem("installing \(reference)") { try Posix.rename(staged, final) }
            CrashPoint.reached("model.install.renamed")
            try fileSystem("installing \(reference)") { try Posix.fsyncDirectory(packagesFolder) }
            try cleanStaging()
            logger.info("model package installed", metadata: ["package": "\(reference)", "sha256": "\(verified.packageSHA256)", "key": "\(verified.keyID)"])
            return .installed(try verifyInstalled(reference, at: final))
        }
    }

    /// Makes an installed package the active one of its task; the one active before becomes
    /// the task's previous package (the rollback target).
    public func activate(_ reference: PackageReference) throws -> ActivationRecord {
        try withLock(.exclusive) {
            try cleanStaging()
            let final = directory(of: reference)
            guard PackageFiles.isDirectory(final) else {
                throw ModelPackageError(.notInstalled, "\(reference) is not installed (see `fluorobox model list`)")
            }
            let package = try verifyInstalled(reference, at: final)
            let task = package.manifest.task
            try refuseIfPinned(task)
            try refuseIfDemonstration(package)
            let current = try readRecord(task: task)
            if let current, current.active == reference {
                return current
            }
            CrashPoint.reached("model.activate.verified")
            let record = ActivationRecord(
                task: task, active: reference, previous: current?.active, activeSHA256: package.packageSHA256,
                changedAt: ActivationRecord.now(), change: "activate"
            )
            try writeRecord(record, written: "model.activate.written", renamed: "model.activate.renamed")
            logger.notice("model package activated", metadata: ["task": "\(task)", "package": "\(reference)", "previous": "\(current?.active.description ?? "none")"])
            return record
        }
    }

    /// Makes the task's previous package active again (after verifying it); the package that
    /// was active becomes the previous one, so a second rollback undoes the first.
    public func rollback(task: String) throws -> ActivationRecord {
        try withLock(.exclusive) {
            try cleanStaging()
            try refuseIfPinned(task)
            guard let current = try readRecord(task: task) else {
                throw ModelPackageError(.noActivePackage, "task \(task) has no active package")
            }
            guard let previous = current.previous else {
                throw ModelPackageError(.noPreviousPackage, "task \(task) has only ever had \(current.active) active")
            }
            let package = try verifyInstalled(previous, at: directory(of: previous))
            try refuseIfDemonstration(package)
            let record = ActivationRecord(
                task: task, active: previous, previous: current.active, activeSHA256: package.packageSHA256,
                changedAt: ActivationRecord.now(), change: "rollback"
            )
            try writeRecord(record, written: "model.rollback.written", renamed: "model.rollback.renamed")
            logger.notice("model package rolled back", metadata: ["task": "\(task)", "package": "\(previous)", "from": "\(current.active)"])
            return record
        }
    }

    // MARK: Internals

    /// A demonstration model's findings look like clinical ones; only a box that trusts the demo
    /// key (a development or demo build: `inference.trustDemoKey`) makes one active.
    func refuseIfDemonstration(_ package: VerifiedModelPackage) throws(ModelPackageError) {
        guard package.manifest.useClass == .demonstration, !settings.trustedKeys.contains(.demo) else { return }
        throw ModelPackageError(
            .demonstrationRefused,
            "\(package.reference) is a demonstration model (its manifest states no clinical use) and this box is not a demo build (inference.trustDemoKey is off)"
        )
    }

    func verifyInstalled(_ reference: PackageReference, at directory: String) throws(ModelPackageError) -> VerifiedModelPackage {
        guard PackageFiles.isDirectory(directory) else {
            throw ModelPackageError(.notInstalled, "\(reference) is not installed")
        }
        let package = try verifier.verify(directory: directory)
        guard package.reference == reference else {
            throw ModelPackageError(.malformedManifest, "the folder \(reference) holds \(package.reference)")
        }
        return package
    }

    private func refuseIfPinned(_ task: String) throws(ModelPackageError) {
        if let pinned = settings.pinnedActive[task] {
            throw ModelPackageError(.pinnedByConfiguration, "task \(task) is pinned to \(pinned) by inference.activePackages; change the configuration instead")
        }
    }

    private func activeReference(of record: ActivationRecord) -> PackageReference {
        settings.pinnedActive[record.task] ?? record.active
    }

    private func recordPath(task: String) -> String { activeFolder + "/" + task + ".json" }

    func readRecord(task: String) throws -> ActivationRecord? {
        try readState(ActivationRecord.self, at: recordPath(task: task), named: "the activation record")
    }

    /// One of the small JSON state files (an activation record, a shadow designation); nil
    /// when there is none. One that cannot be decoded is an error naming it, never ignored.
    func readState<T: Decodable>(_ type: T.Type, at path: String, named name: String) throws -> T? {
        guard PackageFiles.exists(path) else { return nil }
        let bytes = try fileSystem("reading \(path)") { try PackageFiles.read(path, limit: 1 << 20) }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch {
            throw ModelPackageError(.fileSystem, "\(name) \(path) is damaged: \(error)", underlying: error)
        }
    }

    private func activationRecords() throws -> [ActivationRecord] {
        var records: [ActivationRecord] = []
        for name in try entries(activeFolder).sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            if let record = try readRecord(task: String(name.dropLast(5))) { records.append(record) }
        }
        for (task, pinned) in settings.pinnedActive where !records.contains(where: { $0.task == task }) {
            records.append(ActivationRecord(task: task, active: pinned, previous: nil, activeSHA256: "", changedAt: "", change: "configuration"))
        }
        return records.sorted { $0.task < $1.task }
    }

    private func writeRecord(_ record: ActivationRecord, written: StaticString, renamed: StaticString) throws {
        try fileSystem("writing the activation of \(record.task)") {
            try PackageFiles.replace(recordPath(task: record.task), with: record.encoded(), written: written, renamed: renamed)
        }
        // The region switched to the model it calibrated: it stops running beside itself.
        try endShadow(task: record.task, ifItIs: record.active)
    }

    private func copyPackage(_ package: VerifiedModelPackage, to target: String) throws {
        let names = [ModelPackageManifest.manifestFileName, ModelPackageManifest.signatureFileName] + package.manifest.files.map(\.path)
        for name in names {
            try fileSystem("copying \(name)") {
                let destination = target + "/" + name
                try Posix.makeDirectories((destination as NSString).deletingLastPathComponent)
                try PackageFiles.writeNew(destination, try PackageFiles.read(package.directory + "/" + name))
            }
        }
        var folders = Set([target])
        for name in package.manifest.files.map(\.path) {
            folders.insert(((target + "/" + name) as NSString).deletingLastPathComponent)
        }
        for folder in folders.sorted(by: >) {
            try fileSystem("syncing \(folder)") { try Posix.fsyncDirectory(folder) }
        }
    }

    private func makeStagingFolder(_ purpose: String) throws -> String {
        let path = stagingFolder + "/\(purpose)-\(Posix.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        try fileSystem("creating \(path)") { try Posix.makeDirectory(path) }
        return path
    }

    private func moveAside(_ path: String) throws {
        let aside = stagingFolder + "/replaced-\(Posix.currentProcessID)-\(UInt32.random(in: 0...UInt32.max))"
        try fileSystem("moving aside \(path)") { try Posix.rename(path, aside) }
    }

    /// Removes what interrupted installs and activations left: staging folders and temp
    /// activation files. Only ever called with the exclusive lock held.
    func cleanStaging() throws {
        for name in try entries(stagingFolder) {
            try fileSystem("cleaning staging") { try PackageFiles.removeTree(stagingFolder + "/" + name) }
        }
        for folder in [activeFolder, shadowFolder] {
            for name in try entries(folder) where name.hasPrefix(".") && name.contains(".tmp-") {
                try fileSystem("cleaning \(name)") { try Posix.unlink(folder + "/" + name) }
            }
        }
    }

    func entries(_ path: String) throws -> [String] {
        guard PackageFiles.isDirectory(path) else { return [] }
        return try fileSystem("listing \(path)") { try Posix.directoryEntries(path) }
    }

    /// Runs file work, turning a failed system call into a ``ModelPackageError`` that says what was being done.
    func fileSystem<T>(_ action: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SystemCallError {
            throw ModelPackageError.fileSystem(error, while: action)
        }
    }
}
