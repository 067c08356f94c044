/// A configuration value that cannot be used, named by key and source so it can be fixed.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case unreadableFile = "configuration file cannot be read"
            case invalidJSON = "configuration file is not a JSON object"
            case invalidValue = "invalid configuration value"
        }

        fileprivate let value: Value

        public static let unreadableFile = Code(value: .unreadableFile)
        public static let invalidJSON = Code(value: .invalidJSON)
        public static let invalidValue = Code(value: .invalidValue)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let key: String?
    /// The file path or environment variable the value came from.
    public let source: String
    public let detail: String

    public init(_ code: Code, key: String? = nil, source: String, detail: String) {
        self.code = code
        self.key = key
        self.source = source
        self.detail = detail
    }

    public var description: String {
        if let key {
            return "\(code) for \(key) (from \(source)): \(detail)"
        }
        return "\(code) (\(source)): \(detail)"
    }
}
