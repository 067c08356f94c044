import POSIXSupport

/// Why the store refused or failed an operation, with what a person needs to act.
///
/// ``isInsufficientStorage`` is the refusal the DICOM listener answers with status 0xA700 and
/// the HTTP API with 507.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case insufficientStorage = "not enough storage"
            case storeDamaged = "the store failed its integrity check"
            case sourceUnreadable = "the source could not be read"
            case sourceNotRegularFile = "the source is not a regular file"
            case sourceEmpty = "the source is empty"
            case sourceChanged = "the source changed while it was read"
            case unrecognisedContent = "the content could not be identified"
            case fileSystem = "a file system operation failed"
            case database = "a database operation failed"
            case alreadyRunning = "another agent owns this data folder"
            case notFound = "no such record"
            case wrongState = "the record is not in a state that allows this"
        }

        fileprivate let value: Value

        public static let insufficientStorage = Code(value: .insufficientStorage)
        public static let storeDamaged = Code(value: .storeDamaged)
        public static let sourceUnreadable = Code(value: .sourceUnreadable)
        public static let sourceNotRegularFile = Code(value: .sourceNotRegularFile)
        public static let sourceEmpty = Code(value: .sourceEmpty)
        public static let sourceChanged = Code(value: .sourceChanged)
        public static let unrecognisedContent = Code(value: .unrecognisedContent)
        public static let fileSystem = Code(value: .fileSystem)
        public static let database = Code(value: .database)
        public static let alreadyRunning = Code(value: .alreadyRunning)
        public static let notFound = Code(value: .notFound)
        public static let wrongState = Code(value: .wrongState)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// What happened, in words for the log and the technician.
    public let detail: String
    /// Where the quarantined copy went, when the bytes were kept for inspection.
    public let quarantinedAs: String?
    public let underlying: (any Error)?

    public init(_ code: Code, _ detail: String, quarantinedAs: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.detail = detail
        self.quarantinedAs = quarantinedAs
        self.underlying = underlying
    }

    public var isInsufficientStorage: Bool { code == .insufficientStorage }

    public var description: String {
        var text = "\(code): \(detail)"
        if let quarantinedAs { text += " (bytes kept in \(quarantinedAs))" }
        return text
    }

    /// Wraps a failed system call, turning a full disk into ``Code/insufficientStorage``.
    static func fileSystem(_ error: SystemCallError, while action: String) -> StoreError {
        if error.isOutOfSpace {
            return StoreError(.insufficientStorage, "\(action): \(error.reason)", underlying: error)
        }
        return StoreError(.fileSystem, "\(action): \(error)", underlying: error)
    }
}
