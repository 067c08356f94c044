/// One documented configuration key: its name in the JSON file, its environment variable, its
/// type, its default and what it does.
public struct ConfigurationKey: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case string, number
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

    public static let all: [ConfigurationKey] = [
        ConfigurationKey(
            name: "dataDir", kind: .string, defaultValue: "/var/lib/fluorobox",
            summary: "Folder for the store (store.sqlite), blobs, quarantine and run files. `--data-dir` overrides it."
        ),
        ConfigurationKey(
            name: "log.level", kind: .string, defaultValue: "info",
            summary: "Log level: trace, debug, info, notice, warning, error or critical."
        ),
        ConfigurationKey(
            name: "outbox.destinations", kind: .stringList, defaultValue: "platform",
            summary: "Destinations each intake is queued for (`platform`, `dicomweb`); empty keeps images on the box only."
        ),
        ConfigurationKey(
            name: "retention.softLimit", kind: .threshold, defaultValue: "10%",
            summary: "Free space below which the box warns and evicts synced blobs, oldest first."
        ),
        ConfigurationKey(
            name: "retention.hardLimit", kind: .threshold, defaultValue: "3%",
            summary: "Free space below which new intake is refused (DICOM 0xA700, HTTP 507). Unsynced data is never evicted."
        ),
        ConfigurationKey(
            name: "retention.maxStoreBytes", kind: .size, defaultValue: "",
            summary: "Optional cap on blob bytes kept (soft limit at 90% of it); empty means no cap."
        ),
        ConfigurationKey(
            name: "retention.checkIntervalSeconds", kind: .number, defaultValue: "60",
            summary: "Seconds between retention passes."
        ),
        ConfigurationKey(
            name: "store.busyTimeoutSeconds", kind: .number, defaultValue: "30",
            summary: "Seconds a writer waits for another process's transaction (e.g. `fluorobox import` beside the agent)."
        ),
        ConfigurationKey(
            name: "watch.folder", kind: .string, defaultValue: "",
            summary: "Export folder or mounted stick to take DICOM, JPEG and PNG files from; empty turns the watcher off."
        ),
        ConfigurationKey(
            name: "watch.intervalSeconds", kind: .number, defaultValue: "2",
            summary: "Seconds between scans of the watched folder."
        ),
        ConfigurationKey(
            name: "watch.settleSeconds", kind: .number, defaultValue: "2",
            summary: "A file must be unchanged this long, and across two scans, before it is taken."
        ),
        ConfigurationKey(
            name: "watch.afterImport", kind: .string, defaultValue: "move",
            summary: "What happens to a file once stored: `move` (to watch.movedTo), `delete`, or `keep`."
        ),
        ConfigurationKey(
            name: "watch.movedTo", kind: .string, defaultValue: "",
            summary: "Where `move` puts imported files; empty means the `imported` folder inside watch.folder."
        ),
    ]

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
