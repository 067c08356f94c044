import POSIXSupport

/// Why a model update did not activate, with what a person needs to act.
public typealias ModelUpdateError = CodedError<ModelUpdateErrorCode>

/// What kind of ModelUpdateError it is, in words a person can act on.
public struct ModelUpdateErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case download = "the package could not be downloaded"
        case hashMismatch = "the download does not match the catalog's SHA-256"
        case verification = "the package failed verification"
        case notNewer = "the package is not newer than the active one"
        case referenceCheck = "the package failed its reference check"
        case install = "the package could not be installed or activated"
        case shadowIsActive = "the package is its task's active one, so it cannot run as its shadow"
    }

    fileprivate let value: Value
    /// The link failed; the next poll resumes the download.
    public static let download = ModelUpdateErrorCode(value: .download)
    public static let hashMismatch = ModelUpdateErrorCode(value: .hashMismatch)
    /// Unsigned, signed by an untrusted key, a bad signature, or a file that is not what the manifest pins.
    public static let verification = ModelUpdateErrorCode(value: .verification)
    public static let notNewer = ModelUpdateErrorCode(value: .notNewer)
    public static let referenceCheck = ModelUpdateErrorCode(value: .referenceCheck)
    public static let install = ModelUpdateErrorCode(value: .install)
    /// A shadow entry that is its task's active package: a shadow runs beside the active one.
    public static let shadowIsActive = ModelUpdateErrorCode(value: .shadowIsActive)
    public var description: String { value.rawValue }

    /// The machine-readable step of a refusal, as the `model-update` document's `code` names it
    /// (the hub counts reference-check failures apart from other install failures).
    public var step: String {
        switch value {
        case .download, .hashMismatch, .install: "install"
        case .verification: "verification"
        case .notNewer: "not-newer"
        case .referenceCheck: "reference-check"
        case .shadowIsActive: "shadow-is-active"
        }
    }
}

extension CodedError where Code == ModelUpdateErrorCode {
    /// Whether the next poll may succeed with the same catalog entry.
    public var isTransient: Bool { code == .download || code == .install }
}
