/// What the box is told about model packages (configuration keys `inference.*`).
public struct ModelPackageSettings: Sendable, Hashable {
    /// Folder for installed packages and activation state; nil means `models` in the data folder.
    public var packagesDirectory: String?
    /// Keys configuration lists (`inference.trustedKeys`); none by default, because the only key
    /// the project ships is the demo key, whose private half is public.
    public var listedKeys: [ModelPublicKey]
    /// Whether the demo key is trusted as well (`inference.trustDemoKey`): development
    /// (tools/run) and demo images only. Kept apart from `listedKeys` so the two keys can be
    /// read in any order.
    public var trustsDemoKey: Bool
    /// Tasks whose active package configuration fixes (task → package); `model activate` and
    /// `model rollback` refuse to change these.
    public var pinnedActive: [String: PackageReference]

    public init(
        packagesDirectory: String? = nil, trustedKeys: [ModelPublicKey] = [], trustsDemoKey: Bool = false,
        pinnedActive: [String: PackageReference] = [:]
    ) {
        self.packagesDirectory = packagesDirectory
        self.listedKeys = trustedKeys
        self.trustsDemoKey = trustsDemoKey
        self.pinnedActive = pinnedActive
    }

    /// Keys whose signatures the box accepts: the listed ones, plus the demo key when
    /// `trustsDemoKey` asks for it. Setting it sets the listed keys.
    public var trustedKeys: [ModelPublicKey] {
        get { trustsDemoKey && !listedKeys.contains(.demo) ? listedKeys + [.demo] : listedKeys }
        set { listedKeys = newValue }
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
                throw ModelPackageError(.invalidReference, "\"\(entry)\" (expected TASK=ID@VERSION, e.g. chest-findings=chest-phantom-demo@2.0.1)")
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
    /// The project's demo key (see ``demoKeyText``); trusted only where configuration asks.
    public static let demo: ModelPublicKey = try! ModelPublicKey(parsing: demoKeyText)
}
