import POSIXSupport

/// Why an instance did not reach the image archive, and whether trying again can help.
public typealias ArchiveError = CodedError<ArchiveErrorCode>

/// What kind of ArchiveError it is, in words a person can act on.
public struct ArchiveErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case unreachable = "the archive could not be reached or did not confirm; retried with backoff"
        case refused = "the archive refused the instance; retry it by hand once the cause is fixed"
        case stagedBytesMissing = "the staged bytes of the instance are missing or differ from their SHA-256"
        case configuration = "the archive is not configured correctly"
    }

    fileprivate let value: Value
    /// Network errors, timeouts, 5xx, 401/403 (credentials an operator can fix): retried.
    public static let unreachable = ArchiveErrorCode(value: .unreachable)
    /// The archive said no to these bytes (STOW-RS Failed SOP Sequence, 4xx; another file
    /// under the same name): the row fails and waits for `fluorobox-hub archive retry`.
    public static let refused = ArchiveErrorCode(value: .refused)
    public static let stagedBytesMissing = ArchiveErrorCode(value: .stagedBytesMissing)
    public static let configuration = ArchiveErrorCode(value: .configuration)
    public var description: String { value.rawValue }
}

extension CodedError where Code == ArchiveErrorCode {
    /// A permanent failure is not retried on its own: the row waits for a person.
    public var isPermanent: Bool { code == .refused || code == .stagedBytesMissing }
}
