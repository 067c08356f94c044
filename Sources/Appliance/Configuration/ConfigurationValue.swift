import Foundation
import POSIXSupport
import StudyStore

/// One raw configuration value with where it came from, and the typed readings keys use.
/// Every reading throws a ``ConfigurationError`` naming the key and the source.
public struct ConfigurationValue: Sendable {
    let json: JSONValue
    public let key: String
    /// The file path or "environment variable NAME".
    public let source: String

    init(_ json: JSONValue, key: String, source: String) {
        self.json = json
        self.key = key
        self.source = source
    }

    public func invalid(_ detail: String) -> ConfigurationError {
        ConfigurationError(.invalidValue, key: key, source: source, detail: detail)
    }

    public func text() throws(ConfigurationError) -> String {
        if case .string(let string) = json { return string }
        throw invalid("expected a string, found \(json.typeName)")
    }

    /// A string that may be empty, trimmed; empty means "not set".
    public func optionalText() throws(ConfigurationError) -> String? {
        let trimmed = try text().trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    public func number() throws(ConfigurationError) -> Double {
        switch json {
        case .number(let number):
            return number
        case .string(let string):
            guard let parsed = Double(string.trimmingCharacters(in: .whitespaces)) else { throw invalid("\"\(string)\" is not a number") }
            return parsed
        default:
            throw invalid("expected a number, found \(json.typeName)")
        }
    }

    public func positive() throws(ConfigurationError) -> Double {
        let value = try number()
        guard value > 0, value.isFinite else { throw invalid("must be greater than 0, found \(value)") }
        return value
    }

    public func nonNegative() throws(ConfigurationError) -> Double {
        let value = try number()
        guard value >= 0, value.isFinite else { throw invalid("must not be negative, found \(value)") }
        return value
    }

    /// A whole number in a range, e.g. a TCP port.
    public func integer(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value = try number()
        guard value == value.rounded(), let whole = Int(exactly: value), range.contains(whole) else {
            throw invalid("must be a whole number from \(range.lowerBound) to \(range.upperBound), found \(value)")
        }
        return whole
    }

    public func boolean() throws(ConfigurationError) -> Bool {
        switch json {
        case .bool(let value):
            return value
        case .string(let string):
            switch string.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw invalid("\"\(string)\" is not true or false")
            }
        default:
            throw invalid("expected true or false, found \(json.typeName)")
        }
    }

    /// A list of strings: a JSON array, or comma-separated text.
    public func list() throws(ConfigurationError) -> [String] {
        if case .array(let array) = json {
            var output: [String] = []
            for element in array {
                guard case .string(let string) = element else { throw invalid("list elements must be strings, found \(element.typeName)") }
                output.append(string)
            }
            return output
        }
        return try text().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// One of the given words (case-insensitive).
    public func choice(_ allowed: [String]) throws(ConfigurationError) -> String {
        let word = try text().lowercased()
        guard allowed.contains(word) else { throw invalid("\"\(word)\" is not one of \(allowed.joined(separator: ", "))") }
        return word
    }

    /// A byte size: a JSON number of bytes or text such as "20GB"; empty means nil.
    public func size() throws(ConfigurationError) -> UInt64? {
        if case .number(let number) = json {
            guard number >= 0, number == number.rounded() else { throw invalid("\(number) is not a whole number of bytes") }
            return UInt64(number)
        }
        guard let string = try optionalText() else { return nil }
        guard let bytes = ByteCount.parse(string) else { throw invalid("\"\(string)\" is not a size such as \"20GB\"") }
        return bytes
    }

    /// A percentage of the file system ("10%") or a size.
    public func threshold() throws(ConfigurationError) -> StorageThreshold {
        if case .number = json, let bytes = try size() { return .bytes(bytes) }
        let string = try text()
        guard let parsed = StorageThreshold(parsing: string) else {
            throw invalid("\"\(string)\" is neither a percentage such as \"10%\" nor a size such as \"2GB\"")
        }
        return parsed
    }
}
