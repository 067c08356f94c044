/// Any JSON value (RFC 8259), for code that must look at a document whose shape it checks
/// itself: the box's configuration files, the hub's document schemas. Numbers are Doubles (an
/// integer beyond 2^53 loses digits, not its integer-ness).
public enum JSONValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    /// What the value is, in the words an error message uses.
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .array: "a list"
        case .object: "an object"
        case .null: "null"
        }
    }
}
