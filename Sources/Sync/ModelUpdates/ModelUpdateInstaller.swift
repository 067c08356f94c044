import Foundation

/// What the model update flow needs from the box's model package store and runtime; the agent
/// implements it (Sources/Appliance/Analysis/PackageStoreModelInstaller.swift) so that Sync stays free of
/// the inference room.
public protocol ModelUpdateInstaller: Sendable {
    /// Unpacks the archive into `workFolder` and verifies it (signature by a trusted key, every
    /// pinned file's SHA-256). Throws `.verification` with the reason.
    func verify(archive: String, workFolder: String) async throws(ModelUpdateError) -> ModelCandidate
    /// The package active for `task` now, if any.
    func active(task: String) async -> ModelCandidate.Identity?
    /// Runs the package's reference inputs through the box's runtime and compares the outputs
    /// with the package's expected ones. Throws `.referenceCheck` with the reason.
    func checkReference(_ candidate: ModelCandidate) async throws(ModelUpdateError)
    /// Installs the archive and makes it the task's active package in one atomic step (the
    /// previous one stays as the rollback target).
    func installAndActivate(archive: String, candidate: ModelCandidate) async throws(ModelUpdateError)
    /// Installs the archive and designates it as its task's shadow (`designatedBy` `catalog`),
    /// replacing any shadow before it; nothing is activated.
    func installAndDesignateShadow(archive: String, candidate: ModelCandidate) async throws(ModelUpdateError)
    /// The shadows the catalog designated (`designatedBy` `catalog`), by task; a person's are not listed.
    func catalogShadows() async throws(ModelUpdateError) -> [String: ModelCandidate.Identity]
    /// Ends the shadow run of `task` if it still runs `package` as the catalog designated it;
    /// whether it ended one.
    func endCatalogShadow(task: String, package: ModelCandidate.Identity) async throws(ModelUpdateError) -> Bool
}

/// A downloaded package that verified.
public struct ModelCandidate: Sendable, Hashable {
    public struct Identity: Sendable, Hashable, CustomStringConvertible {
        public var id: String
        public var version: String
        public init(id: String, version: String) {
            self.id = id
            self.version = version
        }
        public var description: String { "\(id)@\(version)" }
    }

    public var identity: Identity
    public var task: String
    public var packageSHA256: String
    /// Where the verified files were unpacked.
    public var folder: String

    public init(identity: Identity, task: String, packageSHA256: String, folder: String) {
        self.identity = identity
        self.task = task
        self.packageSHA256 = packageSHA256
        self.folder = folder
    }
}
