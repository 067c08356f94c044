/// The active package of one task and what its manifest says it may be used for, for the views
/// that must say so (panel banner, `fluorobox status`).
public struct ActiveModelUse: Codable, Sendable, Hashable {
    public var task: String
    public var package: PackageReference
    /// Nil when the installed manifest cannot be read: the package does not verify either, so
    /// it runs nothing.
    public var use: ModelUse?

    public init(task: String, package: PackageReference, use: ModelUse?) {
        self.task = task
        self.package = package
        self.use = use
    }

    public var isDemonstration: Bool { use == .demonstration }
}
