import POSIXSupport

/// Why the hub refused a request or could not keep what it received, with an HTTP status.
public typealias HubError = CodedError<HubErrorCode>

/// What kind of HubError it is, in words a person can act on.
public struct HubErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case badRequest = "the request is malformed"
        case forbidden = "the client certificate does not allow this"
        case tooLarge = "the upload is larger than the hub accepts"
        case rangeNotSatisfiable = "the range lies outside the resource"
        case conflict = "the key already holds different content"
        case offsetMismatch = "the upload offset does not match what the hub holds"
        case digestMismatch = "the bytes do not match their SHA-256"
        case storage = "the hub could not store the data"
        case notFound = "not found"
        case methodNotAllowed = "the method is not allowed on this path"
        case injectedFault = "injected fault"
        case busy = "another request holds this upload; retry"
        case unavailable = "the hub's database cannot be reached"
    }

    fileprivate let value: Value
    public static let badRequest = HubErrorCode(value: .badRequest)
    /// Acting for another device than the one the client certificate names.
    public static let forbidden = HubErrorCode(value: .forbidden)
    /// Upload-Length beyond the hub's `--max-upload-size`.
    public static let tooLarge = HubErrorCode(value: .tooLarge)
    public static let rangeNotSatisfiable = HubErrorCode(value: .rangeNotSatisfiable)
    public static let conflict = HubErrorCode(value: .conflict)
    public static let offsetMismatch = HubErrorCode(value: .offsetMismatch)
    public static let digestMismatch = HubErrorCode(value: .digestMismatch)
    public static let storage = HubErrorCode(value: .storage)
    public static let notFound = HubErrorCode(value: .notFound)
    /// A path the API has, with a method it does not serve there.
    public static let methodNotAllowed = HubErrorCode(value: .methodNotAllowed)
    public static let injectedFault = HubErrorCode(value: .injectedFault)
    /// Another replica's chunk of the same upload held the row lock past the lock timeout.
    public static let busy = HubErrorCode(value: .busy)
    /// PostgreSQL refused or dropped the connection; the box retries later.
    public static let unavailable = HubErrorCode(value: .unavailable)
    public var description: String { value.rawValue }
}

extension CodedError where Code == HubErrorCode {
    /// The HTTP status the API document gives this error.
    public var httpStatus: Int {
        switch code {
        case .badRequest: 400
        case .forbidden: 403
        case .tooLarge: 413
        case .rangeNotSatisfiable: 416
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict, .offsetMismatch: 409
        case .digestMismatch: 422
        case .injectedFault, .busy, .unavailable: 503
        default: 500
        }
    }
}
