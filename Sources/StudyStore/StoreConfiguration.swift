import Foundation

/// How a ``StudyStore`` is set up: where it lives, where intakes are queued, how full it may get.
public struct StoreConfiguration: Sendable {
    public var dataDirectory: DataDirectory
    /// Destinations every intake queues an outbox item for, in the same transaction.
    public var destinations: [Destination]
    public var retention: RetentionPolicy
    /// How long a writer waits for another process's transaction before failing (seconds).
    public var busyTimeoutSeconds: Double
    /// Runs an analysis may start (each counted when it is claimed, before any decoding) before
    /// it fails for good; a run a crash ended counts too, so a hostile image cannot loop.
    public var analysisAttemptLimit: Int

    public init(
        dataDirectory: DataDirectory,
        destinations: [Destination] = [.platform],
        retention: RetentionPolicy = RetentionPolicy(),
        busyTimeoutSeconds: Double = 30,
        analysisAttemptLimit: Int = 3
    ) {
        self.dataDirectory = dataDirectory
        self.destinations = destinations
        self.retention = retention
        self.busyTimeoutSeconds = busyTimeoutSeconds
        self.analysisAttemptLimit = max(1, analysisAttemptLimit)
    }
}

/// Disk limits. Eviction removes only blobs every destination has confirmed; unsynced data is
/// never evicted, so a box that cannot sync eventually refuses intake instead of losing images.
public struct RetentionPolicy: Sendable, Hashable {
    /// Below this much free space the box warns and evicts synced blobs, oldest first.
    public var softLimit: StorageThreshold
    /// Below this much free space (after the incoming bytes) new intake is refused.
    public var hardLimit: StorageThreshold
    /// An optional cap on the bytes of blobs kept, for a data partition shared with other uses.
    public var maximumStoreBytes: UInt64?
    /// Bounds of quarantine/ (bytes nobody could file, kept for a person): past either, the
    /// oldest files go, so a sender of garbage cannot fill the disk through it.
    public var quarantineMaximumBytes: UInt64
    public var quarantineMaximumFiles: Int

    public init(
        softLimit: StorageThreshold = .percent(10),
        hardLimit: StorageThreshold = .percent(3),
        maximumStoreBytes: UInt64? = nil,
        quarantineMaximumBytes: UInt64 = 1 << 30,
        quarantineMaximumFiles: Int = 1000
    ) {
        self.softLimit = softLimit
        self.hardLimit = hardLimit
        self.maximumStoreBytes = maximumStoreBytes
        self.quarantineMaximumBytes = quarantineMaximumBytes
        self.quarantineMaximumFiles = quarantineMaximumFiles
    }
}

/// A minimum of free space, as bytes or as a percentage of the file system.
public enum StorageThreshold: Sendable, Hashable, CustomStringConvertible {
    case bytes(UInt64)
    case percent(Double)

    /// The threshold in bytes on a file system of the given size.
    public func bytes(ofTotal total: UInt64) -> UInt64 {
        switch self {
        case .bytes(let value): value
        case .percent(let value): UInt64(Double(total) * value / 100)
        }
    }

    /// Parses "10%", "512MB", "2GiB", "1048576".
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let value = Double(trimmed.dropLast()), (0...100).contains(value) else { return nil }
            self = .percent(value)
            return
        }
        guard let bytes = ByteCount.parse(trimmed) else { return nil }
        self = .bytes(bytes)
    }

    public var description: String {
        switch self {
        case .bytes(let value): ByteCount.format(value)
        case .percent(let value): "\(value.formatted2)%"
        }
    }
}

/// Byte sizes in configuration and reports: "512MB", "2GiB", "8 KB", "100".
public enum ByteCount {
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).uppercased()
        guard let number = Double(digits), number >= 0 else { return nil }
        let multiplier: Double
        switch unit {
        case "", "B": multiplier = 1
        case "K", "KB", "KIB": multiplier = 1024
        case "M", "MB", "MIB": multiplier = 1024 * 1024
        case "G", "GB", "GIB": multiplier = 1024 * 1024 * 1024
        case "T", "TB", "TIB": multiplier = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        // UInt64(exactly:) rather than UInt64(_:), which traps past 2^64 ("99999999999999999999TB").
        return UInt64(exactly: (number * multiplier).rounded(.down))
    }

    /// "1.5 GiB" style, for people.
    public static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        return index == 0 ? "\(bytes) B" : "\(value.formatted2) \(units[index])"
    }
}

extension Double {
    /// Up to two decimals, without trailing zeros: 10, 2.5, 3.14.
    var formatted2: String {
        let scaled = (self * 100).rounded() / 100
        if scaled == scaled.rounded() { return String(Int64(scaled)) }
        var text = String(scaled)
        if let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
            text = String(text[..<text.index(dot, offsetBy: 3)])
        }
        return text
    }
}
