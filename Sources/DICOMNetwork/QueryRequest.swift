import DICOM

/// A C-FIND, C-MOVE or C-GET identifier (Study Root): its level and the supported keys it
/// carries with their query values ("" for universal matching).
public struct QueryRequest: Sendable, Hashable {
    public var level: QueryKey.Level
    /// Supported keys of the request's level and the levels above, values as sent (a list
    /// keeps its backslashes). Keys of lower levels and unsupported keys are not answered.
    public var keys: [Tag: String]
    /// Whether the identifier asked for Retrieve AE Title (0008,0054).
    public var asksRetrieveAETitle: Bool

    public init(level: QueryKey.Level, keys: [Tag: String], asksRetrieveAETitle: Bool = false) {
        self.level = level
        self.keys = keys
        self.asksRetrieveAETitle = asksRetrieveAETitle
    }

    public init(identifier: DataSet) throws(DICOMNetworkError) {
        guard let text = identifier.string(QueryKey.queryRetrieveLevel), let level = QueryKey.Level(keyword: text) else {
            throw DICOMNetworkError(.malformedCommand, "identifier without a Query/Retrieve Level of STUDY, SERIES or IMAGE")
        }
        var keys: [Tag: String] = [:]
        for element in identifier.elements {
            guard let key = QueryKey.supported[element.tag], key.level <= level else { continue }
            keys[element.tag] = (identifier.strings(element.tag) ?? []).joined(separator: "\\")
        }
        self.init(level: level, keys: keys, asksRetrieveAETitle: identifier.contains(QueryKey.retrieveAETitle))
    }

    /// The UIDs a key lists, when it names exact instances (no wildcard, not universal): what
    /// the archive can narrow its answer to.
    public func uidList(_ tag: Tag) -> [String]? {
        guard let value = keys[tag]?.trimmingSpaces, !value.isEmpty, !value.contains("*"), !value.contains("?") else { return nil }
        return value.split(separator: "\\").map { String($0).trimmingSpaces }
    }
}
