/// How many days the disk lasts at the recent intake rate, counting what eviction can free.
public enum CapacityEstimate {
    /// Days until the hard limit; nil when nothing came in lately (no rate to go by).
    public static func days(storage: StorageReport, dailyIntakeBytes: Double) -> Double? {
        guard dailyIntakeBytes > 0 else { return nil }
        let usable = Double(storage.availableBytes) - Double(storage.hardLimitFreeBytes) + Double(storage.evictableBytes)
        return max(0, usable) / dailyIntakeBytes
    }
}
