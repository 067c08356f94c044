import POSIXSupport

/// A file of a folder the hub serves (model packages, OS bundles) as it is when an operator
/// assigns it: its size and SHA-256, so a later change of the file is noticed.
struct PinnedFile: Sendable {
    var size: Int64
    var sha256: String

    /// Reads `file` of `folder` whole unless this version of it was read before (call it off the
    /// event loop); a missing or non-regular file is notFound.
    init(_ file: String, in folder: String) throws(HubError) {
        let path = folder + "/" + file
        let digest: (size: Int64, sha256: String)?
        do {
            digest = try FileDigestCache.shared.digest(of: path)
        } catch {
            throw HubError(.notFound, "\(path): \(error)")
        }
        guard let digest else { throw HubError(.notFound, "\(path) is not a file") }
        (size, sha256) = digest
    }
}
