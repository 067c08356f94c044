/// What start-up recovery found and did.
public struct RecoveryReport: Sendable, Hashable, Codable {
    /// Temp files left by interrupted writes, removed (nothing was acknowledged for them).
    public var removedTemporaryFiles: Int = 0
    /// Temp files another live process is still writing (locked by their writer), left alone.
    public var temporaryFilesInUse: Int = 0
    /// Files under blobs/ that no row names, moved to quarantine/.
    public var quarantinedOrphanBlobs: [String] = []
    /// Instances whose blob is missing or damaged, marked `missing`.
    public var missingBlobs: [String] = []
    /// Blobs of evicted instances still on disk (an eviction cut short), removed.
    public var finishedEvictions: Int = 0
    /// Analyses found `running`, set back to `pending`.
    public var requeuedAnalyses: Int = 0
    /// Analyses found `running` that had used every attempt, failed for good.
    public var failedAnalyses: Int = 0
    /// Outbox items found `sending`, set back to `queued`.
    public var requeuedOutboxItems: Int = 0
    /// "ok", or what `PRAGMA quick_check` reported.
    public var quickCheck: [String] = []
    /// True when quick_check failed even after REINDEX.
    public var storeDamaged: Bool = false

    public init() {}

    public var quickCheckPassed: Bool { quickCheck == ["ok"] }

    /// True when recovery changed nothing and found nothing wrong.
    public var isClean: Bool {
        removedTemporaryFiles == 0 && quarantinedOrphanBlobs.isEmpty && missingBlobs.isEmpty
            && finishedEvictions == 0 && requeuedAnalyses == 0 && failedAnalyses == 0 && requeuedOutboxItems == 0 && quickCheckPassed
    }

    public var summary: String {
        "quick_check \(quickCheckPassed ? "ok" : "FAILED: " + quickCheck.prefix(3).joined(separator: "; ")), "
            + "\(removedTemporaryFiles) temp file(s) removed, \(temporaryFilesInUse) still being written, \(quarantinedOrphanBlobs.count) orphan blob(s) quarantined, "
            + "\(missingBlobs.count) missing blob(s), \(finishedEvictions) eviction(s) finished, "
            + "\(requeuedAnalyses) analysis(es) and \(requeuedOutboxItems) outbox item(s) re-queued, "
            + "\(failedAnalyses) analysis(es) failed for good after every attempt"
    }
}
