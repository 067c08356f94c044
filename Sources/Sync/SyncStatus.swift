import Foundation
import StudyStore
import Synchronization

/// What one destination's sync is doing, for `fluorobox status` and the panel
/// (run/sync-<destination>.json, rewritten on every change).
public struct SyncStatus: Codable, Sendable, Hashable {
    public var destination: String
    public var phase = SyncPhase.starting
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var consecutiveFailures = 0
    public var currentKey: String?
    /// The box's clock looked wrong (before the build, or far from the platform's).
    public var clockProblem: String?
    public var updatedAt = Date()

    public init(destination: String) {
        self.destination = destination
    }
}

/// Keeps a ``SyncStatus`` and writes it out as a view of the run state on every change.
final class SyncStatusRecorder: Sendable {
    let files: RunStateFiles
    private let state: Mutex<SyncStatus>

    init(files: RunStateFiles, destination: String) {
        self.files = files
        self.state = Mutex(SyncStatus(destination: destination))
    }

    func update(_ body: (inout SyncStatus) -> Void) {
        let changed = state.withLock { status -> SyncStatus? in
            let before = status
            body(&status)
            if status == before { return nil }
            status.updatedAt = Date()
            return status
        }
        guard let snapshot = changed else { return }
        files.writeView(snapshot, to: .sync(destination: snapshot.destination))
    }
}
