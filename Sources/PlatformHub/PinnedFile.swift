import POSIXSupport

/// A file of a folder the hub serves (model packages, OS bundles) as it is when an operator
/// assigns it: its size and SHA-256, so a later change of the file is noticed.
struct PinnedFile: Sendable {
    var size: Int64
    var sha256: String

    /// Reads `file` of `folder` whole (call it off the event loop); a missing or non-regular
    /// file is notFound.
    init(_ file: String, in folder: String) throws(HubError) {
        let path = folder + "/" + file
        do {
            let status = try Posix.fileStatus(path)
            guard status.isRegularFile else { throw HubError(.notFound, "\(path) is not a file") }
            size = Int64(status.size)
            sha256 = try SHA256Hex.string(ofFileAt: path)
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError(.notFound, "\(path): \(error)")
        }
    }
}
