import DICOMNetwork
import Foundation
import Logging
import POSIXSupport
import StudyStore

/// The outbox's side of storage commitment reports that a `dimse` destination's peer sends on an
/// association of its own (Orthanc always does): the report settles the items of
/// `dimse:<calling AE title>` waiting on its transaction, exactly as one on the box's own
/// association would, written before the N-EVENT-REPORT is acknowledged. A peer settles only
/// its own destination's items.
public struct DIMSECommitmentReports: CommitmentReportReceiver {
    let store: StudyStore
    let logger: Logger

    public init(store: StudyStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func received(_ report: StorageCommitmentReport, from callingAETitle: String) async throws -> CommitmentReportOutcome {
        let store = self.store
        let destination = Destination.dimse(callingAETitle)
        // An instance listed as failed is not committed, whatever else lists it.
        let failed = Set(report.failed.map(\.reference.sopInstanceUID))
        let committed = Set(report.committed.map(\.sopInstanceUID)).subtracting(failed)
        let reasons = report.failed.map { "\($0.reference.sopInstanceUID) (failure reason \($0.reason))" }.joined(separator: ", ")
        let reason = "\(callingAETitle) did not commit to holding \(reasons.isEmpty ? "the instance" : reasons) (transaction \(report.transactionUID)); it is sent again"
        let settled = try await BlockingIO.run {
            try store.settleOutboxCommitment(
                destination: destination, transactionUID: report.transactionUID, committedSOPInstanceUIDs: committed, reason: reason, retryAt: Date()
            )
        }
        guard settled > 0 else {
            logger.notice("storage commitment report for a transaction no item awaits", metadata: [
                "destination": "\(destination)", "transaction_uid": "\(report.transactionUID)",
            ])
            return .unknownTransaction
        }
        logger.info("storage commitment report settled outbox items", metadata: [
            "destination": "\(destination)", "transaction_uid": "\(report.transactionUID)", "items": "\(settled)",
            "committed": "\(committed.count)", "failed": "\(failed.count)",
        ])
        return .recorded
    }
}
