/// Why the panel could not start or do what was asked, with what a person needs to act.
public struct PanelError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case credentials = "the panel credentials could not be read or written"
            case passwordHash = "a password could not be hashed"
            case badRequest = "the request is not valid"
            case tls = "the panel's HTTPS certificate or key cannot be used"
        }

        fileprivate let value: Value

        public static let credentials = Code(value: .credentials)
        public static let passwordHash = Code(value: .passwordHash)
        public static let badRequest = Code(value: .badRequest)
        public static let tls = Code(value: .tls)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
