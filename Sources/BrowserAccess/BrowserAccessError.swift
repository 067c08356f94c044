import POSIXSupport

/// Why a password could not be hashed or a request not be read.
public typealias BrowserAccessError = CodedError<BrowserAccessErrorCode>

/// What kind of BrowserAccessError it is, in words a person can act on.
public struct BrowserAccessErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case passwordHash = "a password could not be hashed"
    }

    fileprivate let value: Value

    public static let passwordHash = BrowserAccessErrorCode(value: .passwordHash)

    public var description: String { value.rawValue }
}
