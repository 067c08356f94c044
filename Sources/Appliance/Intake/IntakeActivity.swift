import DICOMNetwork
import Foundation
import StudyStore
import Synchronization

/// Whether a patient may be in the middle of their images, so the box does not reboot under
/// them: a DICOM association is open (a modality is sending or asking), an image waits for its
/// analysis, or one arrived less than the quiet period ago (the next exposure of the same patient
/// may be on its way). An OS update's reboot in the maintenance window waits while it says why.
public final class IntakeActivity: Sendable {
    private let listener = Mutex<DICOMListener?>(nil)

    public init() {}

    /// The agent's DICOM listener, whose open associations count as activity.
    func watch(_ listener: DICOMListener) {
        self.listener.withLock { $0 = listener }
    }

    /// Why the box is busy now, or nil when it is quiet. A store that cannot be read counts as
    /// busy: a reboot can wait for the next look.
    public func busyReason(store: StudyStore, quietSeconds: Double, now: Date = Date()) async -> String? {
        if let listener = listener.withLock({ $0 }) {
            let open = await listener.openAssociations
            if open > 0 { return "\(open) DICOM association\(open == 1 ? " is" : "s are") open" }
        }
        do {
            let pending = try store.pendingAnalysesByTask().values.reduce(0, +)
            if pending > 0 { return "\(pending) image\(pending == 1 ? " waits" : "s wait") for analysis" }
            if let last = try store.lastInstanceReceivedAt(), now.timeIntervalSince(last) < quietSeconds {
                return "an image arrived \(Int(max(0, now.timeIntervalSince(last)))) s ago (quiet period \(Int(quietSeconds)) s)"
            }
        } catch {
            return "the store cannot be read: \(error)"
        }
        return nil
    }
}
