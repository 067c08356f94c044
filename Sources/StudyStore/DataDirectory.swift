import POSIXSupport

/// The layout of the box's data folder. Every name under it is made by the box; none comes from
/// DICOM content or any other input.
///
///     store.sqlite (+ -wal, -shm)   metadata and queues
///     blobs/ab/<sha256>             image bytes, named by content, 256 shard folders
///     tmp/                          files being written, on the same file system as blobs/
///     quarantine/                   bytes that could not be filed, kept for a person to look at
///     run/                          lock files and the running agent's state
public struct DataDirectory: Sendable, Hashable {
    public let path: String

    /// A relative path is resolved against the working directory now, so log lines and
    /// run/agent.json name the folder unambiguously.
    public init(path: String) {
        self.path = Posix.absolutePath(path)
    }

    public var databasePath: String { path + "/store.sqlite" }
    public var blobsPath: String { path + "/blobs" }
    public var temporaryPath: String { path + "/tmp" }
    public var quarantinePath: String { path + "/quarantine" }
    public var runPath: String { path + "/run" }
    /// Held shared by every intake from staging to commit, exclusive by recovery and eviction.
    public var intakeLockPath: String { runPath + "/intake.lock" }
    /// Held exclusive by the one `fluorobox serve` that owns this folder.
    public var agentLockPath: String { runPath + "/agent.lock" }

    /// Blob path relative to the data folder, e.g. "blobs/3f/3f9a…".
    public static func relativeBlobPath(sha256: String) -> String {
        "blobs/" + sha256.prefix(2) + "/" + sha256
    }

    public func absolute(_ relativePath: String) -> String {
        path + "/" + relativePath
    }

    static let shardNames: [String] = (0..<256).map { value in
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }

    /// Creates the folder tree (durably) if it is not there yet.
    public func create() throws(SystemCallError) {
        try Posix.makeDirectories(path)
        for folder in [blobsPath, temporaryPath, quarantinePath, runPath] {
            if (try? Posix.fileStatus(folder))?.isDirectory != true {
                try Posix.makeDirectory(folder)
                try Posix.fsyncDirectory(path)
            }
        }
        var created = false
        for shard in Self.shardNames {
            let shardPath = blobsPath + "/" + shard
            if (try? Posix.fileStatus(shardPath))?.isDirectory != true {
                try Posix.makeDirectory(shardPath)
                created = true
            }
        }
        if created { try Posix.fsyncDirectory(blobsPath) }
    }
}
