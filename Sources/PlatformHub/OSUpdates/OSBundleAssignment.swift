import Foundation
import POSIXSupport

/// The OS bundle an operator assigned to a device (`fluorobox-hub device assign-os`): a file of the hub's
/// OS bundle folder, pinned by its size and SHA-256 when assigned, so the box downloads exactly
/// that file and a later change of the folder's file fails the box's digest check.
public struct OSBundleAssignment: Codable, Sendable, Hashable {
    public var file: String
    /// What the operator says it is; the box reads the signed version from the bundle itself.
    public var version: String
    public var size: Int64
    public var sha256: String
    public var assignedBy: String
    public var assignedAt: Date

    public init(file: String, version: String, size: Int64, sha256: String, assignedBy: String, assignedAt: Date = Date()) {
        self.file = file
        self.version = version
        self.size = size
        self.sha256 = sha256
        self.assignedBy = assignedBy
        self.assignedAt = assignedAt
    }

    /// Pins `file` of `folder` as it is now.
    public static func of(file: String, in folder: String, version: String, assignedBy: String) throws(HubError) -> OSBundleAssignment {
        guard isBundleName(file) else { throw HubError(.badRequest, "\"\(file)\" is not a bundle file name") }
        guard !version.isEmpty, version.count <= 128 else { throw HubError(.badRequest, "a bundle version is 1 to 128 characters") }
        let pinned = try PinnedFile(file, in: folder)
        return OSBundleAssignment(file: file, version: version, size: pinned.size, sha256: pinned.sha256, assignedBy: assignedBy)
    }

    /// A name the device API serves from the folder, and no hidden file.
    static func isBundleName(_ file: String) -> Bool { HubServer.isValidKey(file) && !file.hasPrefix(".") }

    /// The audit row of assigning it to `device` or taking it back (`action`): who, the device,
    /// and which bundle (file, version, size, SHA-256).
    func auditEntry(_ action: String, device: String, by actor: String, at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(at: at, actor: actor, action: action, subject: device, detail: "\(file), version \(version), \(size) bytes, SHA-256 \(sha256)")
    }

    /// The bundles `folder` holds that can be assigned (regular files with a valid name), by
    /// name: what the console offers.
    public static func bundles(in folder: String) throws(HubError) -> [(file: String, size: Int64)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw HubError(.notFound, "the OS bundle folder \(folder): \(error)")
        }
        return names.filter(isBundleName).sorted().compactMap { name in
            guard let status = try? Posix.fileStatus(folder + "/" + name), status.isRegularFile else { return nil }
            return (name, Int64(status.size))
        }
    }
}
