/// One documented configuration key: its name in the JSON file, its environment variable, its
/// type, its default and what it does.
public struct ConfigurationKey: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case string, number, boolean
        case stringList = "list of strings"
        /// "10%" of the file system, or a byte size such as "2GB".
        case threshold = "percent or size"
        case size = "byte size"
    }

    /// Dotted name; nested objects in the JSON file, e.g. {"retention": {"softLimit": "10%"}}.
    public let name: String
    public let kind: Kind
    public let defaultValue: String
    public let summary: String
    /// Reads the value and sets it on the configuration.
    let apply: @Sendable (inout ApplianceConfiguration, ConfigurationValue) throws(ConfigurationError) -> Void

    public init(
        name: String, kind: Kind, defaultValue: String, summary: String,
        apply: @escaping @Sendable (inout ApplianceConfiguration, ConfigurationValue) throws(ConfigurationError) -> Void
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
        self.apply = apply
    }

    public static func == (lhs: ConfigurationKey, rhs: ConfigurationKey) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// FLUOROBOX_ + the name in upper case, camel case and dots turned into underscores.
    public var environmentVariable: String {
        var output = "FLUOROBOX"
        for component in name.split(separator: ".") {
            output += "_"
            var previousLower = false
            for character in component {
                if character.isUppercase && previousLower { output += "_" }
                output += character.uppercased()
                previousLower = character.isLowercase || character.isNumber
            }
        }
        return output
    }

    /// Every key the reader knows; each area of the box lists its own in an extension.
    public static var all: [ConfigurationKey] { core + usb + modelPackages + dicom + analysis + panel + sync + os }

    /// The table in docs/configuration.md.
    public static var markdownTable: String {
        var lines = [
            "| key | environment variable | type | default | meaning |",
            "|---|---|---|---|---|",
        ]
        for key in all {
            let defaultText = key.defaultValue.isEmpty ? "(none)" : "`\(key.defaultValue)`"
            lines.append("| `\(key.name)` | `\(key.environmentVariable)` | \(key.kind.rawValue) | \(defaultText) | \(key.summary) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
