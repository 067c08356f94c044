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
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(Array(data))
            } catch {
                throw ConfigurationError(.invalidJSON, source: file, detail: "\(error); expected a JSON object such as {\"retention\": {\"softLimit\": \"10%\"}}")
            }
            guard case .object(let root) = parsed else {
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
        for (name, entry) in raw.sorted(by: { $0.key < $1.key }) {
            try known[name]!.apply(&configuration, ConfigurationValue(entry.value, key: name, source: entry.source))
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
}
