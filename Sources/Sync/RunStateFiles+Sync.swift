import StudyStore

/// Sync's files among the agent's run state: each destination's status and the model update
/// records.
extension RunStateFiles {
    /// Every destination's sync status, by destination name.
    public func syncStatuses() -> [SyncStatus] {
        syncDestinations().compactMap { read(SyncStatus.self, from: .sync(destination: $0)) }
    }

    /// What became of each catalog entry, by its SHA-256.
    public func modelUpdates() -> [String: ModelUpdateRecord] {
        read([String: ModelUpdateRecord].self, from: .modelUpdates) ?? [:]
    }
}
