/// What the box is told about model packages (configuration keys `inference.*`).
public struct ModelPackageSettings: Sendable, Hashable {
    /// Folder for installed packages and activation state; nil means `models` in the data folder.
    public var packagesDirectory: String?
    /// Keys whose signatures the box accepts. The default is the project's demo key only.
    public var trustedKeys: [ModelPublicKey]
    /// Tasks whose active package configuration fixes (task → package); `model activate` and
    /// `model rollback` refuse to change these.
    public var pinnedActive: [String: PackageReference]

    public init(packagesDirectory: String? = nil, trustedKeys: [ModelPublicKey] = [ModelPublicKey.demo], pinnedActive: [String: PackageReference] = [:]) {
        self.packagesDirectory = packagesDirectory
        self.trustedKeys = trustedKeys
        self.pinnedActive = pinnedActive
    }

    /// The packages folder for a data folder.
    public func resolvedDirectory(dataDirectory: String) -> String {
        packagesDirectory ?? dataDirectory + "/models"
    }

    /// Parses `task=ID@VERSION` entries.
    public static func parsePins(_ entries: [String]) throws(ModelPackageError) -> [String: PackageReference] {
        var pins: [String: PackageReference] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, PackageReference.isValidIdentifier(parts[0]) else {
                throw ModelPackageError(.invalidReference, "\"\(entry)\" (expected TASK=ID@VERSION, e.g. chest-findings=chest-phantom-demo@2.0.0)")
            }
            guard pins[parts[0]] == nil else {
                throw ModelPackageError(.invalidReference, "task \(parts[0]) is pinned twice")
            }
            pins[parts[0]] = try PackageReference(parsing: parts[1])
        }
        return pins
    }
}

extension ModelPublicKey {
    /// The project's demo key (see ``demoKeyText``).
    public static let demo: ModelPublicKey = try! ModelPublicKey(parsing: demoKeyText)
}
