import POSIXSupport

/// Why a model package was refused, or an install, activation or rollback failed.
///
/// The code says which check failed (a package that fails any of them never loads); the detail
/// names the file, key or hash involved so a technician or vendor can act on it.
public struct ModelPackageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case notAPackage = "not a model package"
            case unsigned = "the package is not signed"
            case malformedSignature = "the signature file is damaged"
            case untrustedKey = "the package is signed by a key that is not trusted"
            case badSignature = "the signature does not match the manifest"
            case malformedManifest = "the manifest is not valid"
            case missingFile = "a file the manifest pins is missing"
            case fileMismatch = "a file does not match the hash the manifest pins"
            case badReference = "a reference file does not fit the model's input or outputs"
            case unsafeArchive = "the archive holds an entry that cannot be unpacked safely"
            case invalidKey = "the key is not a valid Ed25519 key"
            case invalidReference = "not a package reference of the form ID@VERSION"
            case notInstalled = "no such package is installed"
            case conflictingInstall = "a different package with the same id and version is installed"
            case noPreviousPackage = "there is no previous package to roll back to"
            case noActivePackage = "no package is active for this task"
            case pinnedByConfiguration = "the active package for this task is set by configuration"
            case demonstrationRefused = "a demonstration model cannot be activated on a box that is not a demo build"
            case shadowIsActive = "the package is already the task's active one and cannot also run as its shadow"
            case fileSystem = "a file system operation failed"
        }

        fileprivate let value: Value

        public static let notAPackage = Code(value: .notAPackage)
        public static let unsigned = Code(value: .unsigned)
        public static let malformedSignature = Code(value: .malformedSignature)
        public static let untrustedKey = Code(value: .untrustedKey)
        public static let badSignature = Code(value: .badSignature)
        public static let malformedManifest = Code(value: .malformedManifest)
        public static let missingFile = Code(value: .missingFile)
        public static let fileMismatch = Code(value: .fileMismatch)
        public static let badReference = Code(value: .badReference)
        public static let unsafeArchive = Code(value: .unsafeArchive)
        public static let invalidKey = Code(value: .invalidKey)
        public static let invalidReference = Code(value: .invalidReference)
        public static let notInstalled = Code(value: .notInstalled)
        public static let conflictingInstall = Code(value: .conflictingInstall)
        public static let noPreviousPackage = Code(value: .noPreviousPackage)
        public static let noActivePackage = Code(value: .noActivePackage)
        public static let pinnedByConfiguration = Code(value: .pinnedByConfiguration)
        public static let demonstrationRefused = Code(value: .demonstrationRefused)
        public static let shadowIsActive = Code(value: .shadowIsActive)
        public static let fileSystem = Code(value: .fileSystem)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// Specifics: the file, key id, expected and found hashes, the path.
    public let detail: String
    public let underlying: (any Error)?

    public init(_ code: Code, _ detail: String, underlying: (any Error)? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
    }

    public var description: String { "\(code): \(detail)" }

    /// Whether this refusal comes from the package's integrity or trust checks (as opposed to
    /// the installed state or the file system).
    public var isVerificationFailure: Bool {
        [.notAPackage, .unsigned, .malformedSignature, .untrustedKey, .badSignature, .malformedManifest,
         .missingFile, .fileMismatch, .badReference, .unsafeArchive].contains(code)
    }

    static func fileSystem(_ error: SystemCallError, while action: String) -> ModelPackageError {
        ModelPackageError(.fileSystem, "\(action): \(error)", underlying: error)
    }
}
