import Foundation
import POSIXSupport
import StudyStore

extension ApplianceConfiguration {
    /// Reads the configuration: built-in defaults, then the JSON file (if any), then
    /// FLUOROBOX_* environment variables, each overriding the one before.
    ///
    /// Unknown keys are reported as warnings (a typo must not stop a box in the field); a value
    /// that cannot be understood is an error naming the key and where it came from.
    public static func load(
        file: String?, environment: [String: String]
    ) throws(ConfigurationError) -> (configuration: ApplianceConfiguration, warnings: [String]) {
        var raw: [String: (value: JSONValue, source: String)] = [:]
        var warnings: [String] = []
        let known = Dictionary(uniqueKeysWithValues: ConfigurationKey.all.map { ($0.name, $0) })

        if let file {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ConfigurationError(.unreadableFile, source: file, detail: "\(error.localizedDescription)")
            }
            guard let parsed = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let root) = parsed else {
                throw ConfigurationError(.invalidJSON, source: file, detail: "expected a JSON object such as {\"retention\": {\"softLimit\": \"10%\"}}")
            }
            for (name, value) in flatten(root) {
                if known[name] == nil {
                    warnings.append("unknown configuration key \(name) in \(file) is ignored")
                } else {
                    raw[name] = (value, file)
                }
            }
        }
        let byVariable = Dictionary(uniqueKeysWithValues: ConfigurationKey.all.map { ($0.environmentVariable, $0) })
        for (variable, value) in environment where variable.hasPrefix("FLUOROBOX_") {
            if let key = byVariable[variable] {
                raw[key.name] = (.string(value), "environment variable \(variable)")
            } else if variable != CrashPoint.environmentVariable {
                warnings.append("unknown environment variable \(variable) is ignored")
            }
        }

        var configuration = ApplianceConfiguration()
        for (name, entry) in raw {
            try configuration.apply(known[name]!, value: entry.value, source: entry.source)
        }
        if configuration.retention.hardLimit.bytes(ofTotal: 1 << 40) > configuration.retention.softLimit.bytes(ofTotal: 1 << 40) {
            warnings.append("retention.hardLimit (\(configuration.retention.hardLimit)) is above retention.softLimit (\(configuration.retention.softLimit)): the box will refuse intake before it warns")
        }
        return (configuration, warnings)
    }

    /// Nested objects become dotted names; anything else is a leaf value.
    private static func flatten(_ object: [String: JSONValue], prefix: String = "") -> [(String, JSONValue)] {
        var output: [(String, JSONValue)] = []
        for (key, value) in object {
            let name = prefix.isEmpty ? key : prefix + "." + key
            if case .object(let nested) = value {
                output += flatten(nested, prefix: name)
            } else {
                output.append((name, value))
            }
        }
        return output
    }

    private mutating func apply(_ key: ConfigurationKey, value: JSONValue, source: String) throws(ConfigurationError) {
        func invalid(_ detail: String) -> ConfigurationError {
            ConfigurationError(.invalidValue, key: key.name, source: source, detail: detail)
        }
        func text() throws(ConfigurationError) -> String {
            if case .string(let string) = value { return string }
            throw invalid("expected a string, found \(value.typeName)")
        }
        func number() throws(ConfigurationError) -> Double {
            switch value {
            case .number(let number):
                return number
            case .string(let string):
                guard let parsed = Double(string.trimmingCharacters(in: .whitespaces)) else { throw invalid("\"\(string)\" is not a number") }
                return parsed
            default:
                throw invalid("expected a number, found \(value.typeName)")
            }
        }
        func byteCount() throws(ConfigurationError) -> UInt64? {
            if case .number(let number) = value {
                guard number >= 0, number == number.rounded() else { throw invalid("\(number) is not a whole number of bytes") }
                return UInt64(number)
            }
            return nil
        }
        func positive() throws(ConfigurationError) -> Double {
            let value = try number()
            guard value > 0, value.isFinite else { throw invalid("must be greater than 0, found \(value)") }
            return value
        }
        func threshold() throws(ConfigurationError) -> StorageThreshold {
            if let bytes = try byteCount() { return .bytes(bytes) }
            let string = try text()
            guard let parsed = StorageThreshold(parsing: string) else {
                throw invalid("\"\(string)\" is neither a percentage such as \"10%\" nor a size such as \"2GB\"")
            }
            return parsed
        }
        func list() throws(ConfigurationError) -> [String] {
            if case .array(let array) = value {
                var output: [String] = []
                for element in array {
                    guard case .string(let string) = element else { throw invalid("list elements must be strings, found \(element.typeName)") }
                    output.append(string)
                }
                return output
            }
            return try text().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func optionalPath() throws(ConfigurationError) -> String? {
            let path = try text().trimmingCharacters(in: .whitespaces)
            return path.isEmpty ? nil : path
        }

        switch key.name {
        case "dataDir":
            guard let path = try optionalPath() else { throw invalid("must not be empty") }
            dataDirectory = path
        case "log.level":
            let level = try text().lowercased()
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
                throw invalid("\"\(level)\" is not a log level (trace, debug, info, notice, warning, error, critical)")
            }
            logLevel = level
        case "outbox.destinations":
            destinations = try list().map(Destination.init(rawValue:))
        case "retention.softLimit":
            retention.softLimit = try threshold()
        case "retention.hardLimit":
            retention.hardLimit = try threshold()
        case "retention.maxStoreBytes":
            if let bytes = try byteCount() {
                retention.maximumStoreBytes = bytes
            } else {
                let string = try text().trimmingCharacters(in: .whitespaces)
                if string.isEmpty {
                    retention.maximumStoreBytes = nil
                } else {
                    guard let bytes = ByteCount.parse(string) else { throw invalid("\"\(string)\" is not a size such as \"20GB\"") }
                    retention.maximumStoreBytes = bytes
                }
            }
        case "retention.checkIntervalSeconds":
            retentionCheckIntervalSeconds = try positive()
        case "store.busyTimeoutSeconds":
            storeBusyTimeoutSeconds = try positive()
        case "watch.folder":
            watch.folder = try optionalPath()
        case "watch.intervalSeconds":
            watch.intervalSeconds = try positive()
        case "watch.settleSeconds":
            let seconds = try number()
            guard seconds >= 0 else { throw invalid("must not be negative") }
            watch.settleSeconds = seconds
        case "watch.afterImport":
            let mode = try text().lowercased()
            guard let parsed = AfterImport(rawValue: mode) else {
                throw invalid("\"\(mode)\" is not one of move, delete, keep")
            }
            watch.afterImport = parsed
        case "watch.movedTo":
            watch.movedTo = try optionalPath()
        default:
            // Every key in ConfigurationKey.all has a case above; the table and this switch change together.
            throw invalid("documented but not handled; this is a bug")
        }
    }
}
