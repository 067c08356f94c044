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
        guard HubServer.isValidKey(file), !file.hasPrefix(".") else { throw HubError(.badRequest, "\"\(file)\" is not a bundle file name") }
        guard !version.isEmpty, version.count <= 128 else { throw HubError(.badRequest, "a bundle version is 1 to 128 characters") }
        let path = folder + "/" + file
        do {
            let status = try Posix.fileStatus(path)
            guard status.isRegularFile else { throw HubError(.notFound, "\(path) is not a file") }
            return OSBundleAssignment(
                file: file, version: version, size: Int64(status.size), sha256: try SHA256Hex.string(ofFileAt: path), assignedBy: assignedBy)
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError(.notFound, "\(path): \(error)")
        }
    }
}
