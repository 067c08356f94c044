/// A package named as `ID@VERSION`, e.g. `chest-phantom-demo@2.0.1`.
///
/// Both parts are restricted to characters that are safe as one path component, because an
/// installed package lives in a folder of that name.
public struct PackageReference: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let id: String
    public let version: String

    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }

    /// Parses `ID@VERSION`.
    public init(parsing text: String) throws(ModelPackageError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isValidIdentifier(String(parts[0])), Self.isValidVersion(String(parts[1])) else {
            throw ModelPackageError(.invalidReference, "\"\(text)\" (expected e.g. chest-phantom-demo@2.0.1)")
        }
        self.init(id: String(parts[0]), version: String(parts[1]))
    }

    public var description: String { "\(id)@\(version)" }

    public static func < (lhs: PackageReference, rhs: PackageReference) -> Bool {
        (lhs.id, lhs.version) < (rhs.id, rhs.version)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Ids and tasks: 1–64 of a-z 0-9 . _ -, starting with a letter or digit.
    public static func isValidIdentifier(_ text: String) -> Bool {
        isValid(text, maximumLength: 64) { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    /// Versions: 1–32 of A-Z a-z 0-9 . + -, starting with a letter or digit.
    public static func isValidVersion(_ text: String) -> Bool {
        isValid(text, maximumLength: 32) {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D
        }
    }

    private static func isValid(_ text: String, maximumLength: Int, allowed: (UInt8) -> Bool) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= maximumLength, bytes.allSatisfy(allowed) else { return false }
        let isAlphanumeric = (first >= 0x61 && first <= 0x7A) || (first >= 0x41 && first <= 0x5A) || (first >= 0x30 && first <= 0x39)
        return isAlphanumeric
    }
}
