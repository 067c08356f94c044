/// How full the store's disk is against the retention thresholds.
public struct StorageReport: Sendable, Hashable, Codable {
    public var totalBytes: UInt64
    public var availableBytes: UInt64
    /// Bytes of blobs on disk (present instances).
    public var storeBytes: UInt64
    /// Bytes that eviction could free now: blobs every destination has confirmed.
    public var evictableBytes: UInt64
    /// Bytes not yet confirmed by every destination; never evicted.
    public var unsyncedBytes: UInt64
    public var softLimitFreeBytes: UInt64
    public var hardLimitFreeBytes: UInt64
    public var maximumStoreBytes: UInt64?
    public var level: StorageLevel
}

/// Where the store stands against its limits.
public enum StorageLevel: String, Sendable, Hashable, Codable, Comparable {
    /// Above the soft limit.
    case normal
    /// Below the soft limit: warn, evict synced blobs.
    case soft
    /// Below the hard limit: new intake is refused.
    case hard

    private var rank: Int {
        switch self {
        case .normal: 0
        case .soft: 1
        case .hard: 2
        }
    }

    public static func < (lhs: StorageLevel, rhs: StorageLevel) -> Bool { lhs.rank < rhs.rank }
}

/// What one eviction pass did.
public struct EvictionReport: Sendable, Hashable, Codable {
    public var evictedInstances: Int = 0
    public var freedBytes: UInt64 = 0

    public init(evictedInstances: Int = 0, freedBytes: UInt64 = 0) {
        self.evictedInstances = evictedInstances
        self.freedBytes = freedBytes
    }
}
