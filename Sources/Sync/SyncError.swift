import POSIXSupport

/// Why a delivery did not happen, with what a person needs to act.
public typealias SyncError = CodedError<SyncErrorCode>

/// What kind of SyncError it is, in words a person can act on.
public struct SyncErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case unreachable = "the destination cannot be reached"
        case serverError = "the destination failed"
        case refused = "the destination refused the item"
        case protocolViolation = "the destination answered something the API does not allow"
        case localData = "the item's data on the box cannot be read"
        case localStorage = "the box cannot write what it needs to send"
        case configuration = "sync is not configured correctly"
    }

    fileprivate let value: Value
    /// No connection, a cut, a stall or a reset: the link; retry when it is back.
    public static let unreachable = SyncErrorCode(value: .unreachable)
    /// 5xx: the receiver is up but failed; retry with backoff.
    public static let serverError = SyncErrorCode(value: .serverError)
    /// 4xx other than offset conflicts: the item will never be accepted as it is.
    public static let refused = SyncErrorCode(value: .refused)
    public static let protocolViolation = SyncErrorCode(value: .protocolViolation)
    public static let localData = SyncErrorCode(value: .localData)
    /// The box's own disk failed (full?) while preparing an item; retry later.
    public static let localStorage = SyncErrorCode(value: .localStorage)
    public static let configuration = SyncErrorCode(value: .configuration)
    public var description: String { value.rawValue }
}

extension CodedError where Code == SyncErrorCode {
    /// Whether trying again later may succeed.
    public var isTransient: Bool { code == .unreachable || code == .serverError || code == .protocolViolation || code == .localStorage }
}
