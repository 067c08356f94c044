import Foundation
import POSIXSupport

/// What the hub's catalog folder offers one device: the packages assigned to its region or its
/// institution (``ModelAssignment``) whose file still has the SHA-256 it was assigned with.
/// `GET /v1/models` lists them and `GET /v1/models/{file}` serves only them.
public struct ModelCatalog: Sendable {
    /// A package file as it is on disk now.
    public struct Package: Sendable, Hashable {
        public var file: String
        public var size: Int64
        public var sha256: String
    }

    /// The catalog folder (`serve --catalog-dir`); nil: the hub offers no packages.
    let folder: String?
    let store: any HubStoring

    /// The packages offered to `device`, by file name; assigned files that changed on disk or are
    /// gone are left out (`left` says which, for the log).
    func offered(to device: String) async throws(HubError) -> (packages: [Package], left: [String]) {
        guard let folder else { return ([], []) }
        let assignments = try await store.modelAssignments(device: device)
        var packages: [Package] = []
        var left: [String] = []
        for (file, pins) in Dictionary(grouping: assignments, by: \.file).sorted(by: { $0.key < $1.key }) {
            if let package = try await Self.current(file, in: folder), pins.contains(where: { $0.sha256 == package.sha256 }) {
                packages.append(package)
            } else {
                left.append(file)
            }
        }
        return (packages, left)
    }

    /// `file` as offered to `device`; 404 saying why when it is not. The reason names neither
    /// another region nor an institution: only what the asking device may know.
    func package(_ file: String, for device: String) async throws(HubError) -> Package {
        guard let folder, OSBundleAssignment.isBundleName(file) else { throw HubError(.notFound, "no such package") }
        let pins = try await store.modelAssignments(device: device).filter { $0.file == file }
        guard !pins.isEmpty else {
            throw HubError(.notFound, "no package \(file) is assigned to device \(device): a device is offered only the packages assigned to its region or its institution")
        }
        guard let package = try await Self.current(file, in: folder) else { throw HubError(.notFound, "no such package") }
        guard pins.contains(where: { $0.sha256 == package.sha256 }) else {
            throw HubError(.notFound, "\(file) changed on the hub after it was assigned (SHA-256 \(pins[0].sha256) then, \(package.sha256) now): it is offered again once an operator assigns it anew")
        }
        return package
    }

    /// `file` of `folder` as it is now; nil when it is not a regular file. Hashed off the event
    /// loop, and only when this version of the file was not hashed before: a package is tens of
    /// megabytes and every poll of every device asks.
    public static func current(_ file: String, in folder: String) async throws(HubError) -> Package? {
        let path = folder + "/" + file
        do {
            return try await BlockingIO.run { () throws -> Package? in
                try FileDigestCache.shared.digest(of: path).map { Package(file: file, size: $0.size, sha256: $0.sha256) }
            }
        } catch {
            throw HubError(.storage, "reading \(path): \(error)")
        }
    }

    /// Every package of `folder` (regular files with a valid name), by name, hashed: what the
    /// console lists and may assign.
    public static func packages(in folder: String) async throws(HubError) -> [Package] {
        var packages: [Package] = []
        for (file, _) in try OSBundleAssignment.bundles(in: folder) {
            if let package = try await current(file, in: folder) { packages.append(package) }
        }
        return packages
    }
}
