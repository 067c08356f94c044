/// Why the hub refused a request or could not keep what it received, with an HTTP status.
public struct HubError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case badRequest = "the request is malformed"
            case conflict = "the key already holds different content"
            case offsetMismatch = "the upload offset does not match what the hub holds"
            case digestMismatch = "the bytes do not match their SHA-256"
            case storage = "the hub could not store the data"
            case notFound = "not found"
            case injectedFault = "injected fault"
        }

        fileprivate let value: Value
        public static let badRequest = Code(value: .badRequest)
        public static let conflict = Code(value: .conflict)
        public static let offsetMismatch = Code(value: .offsetMismatch)
        public static let digestMismatch = Code(value: .digestMismatch)
        public static let storage = Code(value: .storage)
        public static let notFound = Code(value: .notFound)
        public static let injectedFault = Code(value: .injectedFault)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The HTTP status the API document gives this error.
    public var httpStatus: Int {
        switch code {
        case .badRequest: 400
        case .notFound: 404
        case .conflict, .offsetMismatch: 409
        case .digestMismatch: 422
        case .injectedFault: 503
        default: 500
        }
    }

    public var description: String { "\(code): \(detail)" }
}
