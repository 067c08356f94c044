import POSIXSupport

/// Why the panel could not start or do what was asked, with what a person needs to act.
public typealias PanelError = CodedError<PanelErrorCode>

/// What kind of PanelError it is, in words a person can act on.
public struct PanelErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case credentials = "the panel credentials could not be read or written"
        case badRequest = "the request is not valid"
        case tls = "the panel's HTTPS certificate or key cannot be used"
    }

    fileprivate let value: Value

    public static let credentials = PanelErrorCode(value: .credentials)
    public static let badRequest = PanelErrorCode(value: .badRequest)
    public static let tls = PanelErrorCode(value: .tls)

    public var description: String { value.rawValue }
}
