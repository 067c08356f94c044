import Synchronization

/// Frames handed to detection but not yet taken: beyond ``limit`` the streaming thread skips
/// frames (counted) rather than queueing video without bound.
final class FrameBacklog: Sendable {
    let limit = 4
    private let pending = Atomic<Int>(0)
    private let skippedCount = Atomic<Int>(0)

    /// True when the frame may be queued.
    func offer() -> Bool {
        if pending.load(ordering: .acquiring) >= limit {
            skippedCount.add(1, ordering: .relaxed)
            return false
        }
        pending.add(1, ordering: .acquiringAndReleasing)
        return true
    }

    func taken() {
        pending.subtract(1, ordering: .acquiringAndReleasing)
    }

    var skipped: Int { skippedCount.load(ordering: .relaxed) }
}
