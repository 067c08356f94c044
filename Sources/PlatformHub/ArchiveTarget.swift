/// Where completed instances are handed for keeping: a PACS by STOW-RS (``STOWArchive``) or a
/// folder on shared storage (``FolderArchive``).
public protocol ArchiveTarget: Sendable {
    /// Names the target in the queue's rows and in `archive status` (no credentials).
    var name: String { get }

    /// Hands over one instance and returns the archive's reference to it (a retrieve URL, a
    /// path) once the archive confirmed it holds the bytes. Gives up by `deadline`, the end of
    /// the claim's lease, so that no other worker sends the same row while this one still does.
    /// Sending the same instance again must leave the archive holding it once.
    func archive(_ instance: ArchiveInstance, deadline: ContinuousClock.Instant) async throws(ArchiveError) -> String

    func shutdown() async
}

/// One staged instance to archive.
public struct ArchiveInstance: Sendable {
    public var device: String
    public var key: String
    public var sha256: String
    public var size: Int64
    /// The staged file (`<staging>/items/<sha256>`).
    public var path: String

    public init(device: String, key: String, sha256: String, size: Int64, path: String) {
        self.device = device
        self.key = key
        self.sha256 = sha256
        self.size = size
        self.path = path
    }

    /// The SOP Instance UID in a box's key (`instance:<SOP Instance UID>:<SHA-256>`), if the
    /// key has that form.
    var sopInstanceUID: String? {
        let parts = key.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "instance", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
