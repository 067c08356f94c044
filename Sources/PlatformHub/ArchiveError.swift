/// Why an instance did not reach the image archive, and whether trying again can help.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case unreachable = "the archive could not be reached or did not confirm; retried with backoff"
            case refused = "the archive refused the instance; retry it by hand once the cause is fixed"
            case stagedBytesMissing = "the staged bytes of the instance are missing or differ from their SHA-256"
            case configuration = "the archive is not configured correctly"
        }

        fileprivate let value: Value
        /// Network errors, timeouts, 5xx, 401/403 (credentials an operator can fix): retried.
        public static let unreachable = Code(value: .unreachable)
        /// The archive said no to these bytes (STOW-RS Failed SOP Sequence, 4xx; another file
        /// under the same name): the row fails and waits for `fluorobox-hub archive retry`.
        public static let refused = Code(value: .refused)
        public static let stagedBytesMissing = Code(value: .stagedBytesMissing)
        public static let configuration = Code(value: .configuration)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// A permanent failure is not retried on its own: the row waits for a person.
    public var isPermanent: Bool { code == .refused || code == .stagedBytesMissing }

    public var description: String { "\(code): \(detail)" }
}
