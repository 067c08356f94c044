import GRDB

/// Whether an instance's bytes are on disk.
public enum BlobState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    /// The blob file is there.
    case present
    /// Removed on purpose after every destination confirmed it.
    case evicted
    /// Expected but not found (or damaged) at start-up recovery; reported, never silently dropped.
    case missing
}
