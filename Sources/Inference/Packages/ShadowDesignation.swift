import Foundation
import POSIXSupport

/// The package of a task that runs beside its active one, in shadow: on the same images, its
/// findings recorded and compared with the active model's, never shown to the clinic and never
/// sent as results. How a region calibrates a model on its own images before switching to it.
///
/// One file per task, `shadow/<task>.json` in the packages folder, replaced atomically like the
/// activation record. `fluorobox model shadow` writes it; a shadow the platform's catalog
/// assigns is to be written through the same ``ModelPackageStore/designateShadow(_:designatedBy:)``.
public struct ShadowDesignation: Codable, Sendable, Hashable {
    public var task: String
    public var package: PackageReference
    /// Package hash (SHA-256 of its manifest) when it was designated.
    public var packageSHA256: String
    /// ISO 8601 time of the designation.
    public var designatedAt: String
    /// Who designated it: `command` (a technician), `catalog` (the platform).
    public var designatedBy: String

    /// `designatedBy` of a shadow the platform's catalog assigned: the box ends only such a
    /// shadow run when the catalog no longer offers it.
    public static let byCatalog = "catalog"

    public init(task: String, package: PackageReference, packageSHA256: String, designatedAt: String, designatedBy: String) {
        self.task = task
        self.package = package
        self.packageSHA256 = packageSHA256
        self.designatedAt = designatedAt
        self.designatedBy = designatedBy
    }

    func encoded() -> Data {
        // Strings and a package reference always encode.
        return (try! JSONEncoder.indented(escapingSlashes: false).encode(self)) + Data("\n".utf8)
    }
}
