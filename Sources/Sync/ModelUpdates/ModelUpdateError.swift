/// Why a model update did not activate, with what a person needs to act.
public struct ModelUpdateError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case download = "the package could not be downloaded"
            case hashMismatch = "the download does not match the catalog's SHA-256"
            case verification = "the package failed verification"
            case notNewer = "the package is not newer than the active one"
            case referenceCheck = "the package failed its reference check"
            case install = "the package could not be installed or activated"
        }

        fileprivate let value: Value
        /// The link failed; the next poll resumes the download.
        public static let download = Code(value: .download)
        public static let hashMismatch = Code(value: .hashMismatch)
        /// Unsigned, signed by an untrusted key, a bad signature, or a file that is not what the manifest pins.
        public static let verification = Code(value: .verification)
        public static let notNewer = Code(value: .notNewer)
        public static let referenceCheck = Code(value: .referenceCheck)
        public static let install = Code(value: .install)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Whether the next poll may succeed with the same catalog entry.
    public var isTransient: Bool { code == .download || code == .install }

    public var description: String { "\(code): \(detail)" }
}
