import DICOMNetwork
import Foundation
import Logging
import POSIXSupport
import StudyStore
import Sync

/// Delivers storage commitment reports the modality's own association did not carry: on a new
/// association to the modality's address in `dicom.peers`, with exponential backoff and jitter
/// while it is down, and no give-up. Pending commitments are rows in the store, so a restart
/// picks them up where the last run left them.
public actor StorageCommitmentReporter {
    enum State {
        case idle
        case running
        case stopped
    }

    let store: StudyStore
    let receiver: StoreCommitmentReceiver
    let peers: [DICOMPeer]
    let aeTitle: String
    let backoff: BackoffPolicy
    let pollInterval: Duration
    let logger: Logger
    private var state = State.idle

    public init(
        store: StudyStore, receiver: StoreCommitmentReceiver, peers: [DICOMPeer], aeTitle: String,
        backoff: BackoffPolicy = BackoffPolicy(initial: 5, maximum: 600), pollInterval: Duration = .seconds(2), logger: Logger
    ) {
        self.store = store
        self.receiver = receiver
        self.peers = peers
        self.aeTitle = aeTitle
        self.backoff = backoff
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Delivers due reports until the task is cancelled.
    public func run() async {
        guard case .idle = state else { return }
        state = .running
        defer { state = .stopped }
        while !Task.isCancelled {
            await deliverDue()
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Tries every due commitment once; returns how many were delivered.
    @discardableResult
    public func deliverDue(now: Date = Date()) async -> Int {
        let store = self.store
        let due: [PendingCommitment]
        do {
            due = try await BlockingIO.run { try store.dueCommitments(now: now) }
        } catch {
            logger.error("cannot read pending storage commitments", metadata: ["error": "\(error)"])
            return 0
        }
        var delivered = 0
        for commitment in due where !Task.isCancelled {
            if await deliver(commitment) { delivered += 1 }
        }
        return delivered
    }

    private func deliver(_ commitment: PendingCommitment) async -> Bool {
        let request = StorageCommitmentRequest(
            transactionUID: commitment.transactionUID,
            references: commitment.references.map { SOPReference(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) }
        )
        var metadata: Logger.Metadata = [
            "transaction_uid": "\(commitment.transactionUID)", "calling_ae": "\(commitment.callingAETitle)", "attempt": "\(commitment.attempts + 1)",
        ]
        guard let peer = peers.first(where: { $0.aeTitle == commitment.callingAETitle }) else {
            // Kept, not dropped: adding the modality to dicom.peers (and restarting) delivers it.
            await failed(commitment, "no address for AE title \(commitment.callingAETitle) in dicom.peers", metadata: metadata)
            return false
        }
        metadata["peer"] = "\(peer)"
        let report = await receiver.report(for: request)
        do {
            let status = try await CommitmentReportSCU(callingAETitle: aeTitle, calledAETitle: peer.aeTitle, logger: logger)
                .send(report, host: peer.host, port: peer.port)
            guard status.isSuccess || status.isWarning else {
                await failed(commitment, "the modality answered the N-EVENT-REPORT with \(status)", metadata: metadata)
                return false
            }
            await receiver.reported(transactionUID: commitment.transactionUID, eventTypeID: report.eventTypeID)
            metadata["event_type"] = "\(report.eventTypeID)"
            metadata["committed"] = "\(report.committed.count)"
            metadata["failed"] = "\(report.failed.count)"
            logger.notice("storage commitment reported on a new association", metadata: metadata)
            return true
        } catch {
            await failed(commitment, "\(error)", metadata: metadata)
            return false
        }
    }

    private func failed(_ commitment: PendingCommitment, _ reason: String, metadata: Logger.Metadata) async {
        let delay = backoff.delay(afterFailures: commitment.attempts + 1)
        var metadata = metadata
        metadata["error"] = "\(reason)"
        metadata["retry_in_seconds"] = "\(Int(delay.rounded(.up)))"
        logger.warning("storage commitment report not delivered; it will be retried", metadata: metadata)
        let store = self.store
        do {
            try await BlockingIO.run {
                try store.rescheduleCommitment(
                    transactionUID: commitment.transactionUID, error: reason, nextAttemptAt: Date().addingTimeInterval(delay), countsAsAttempt: true
                )
            }
        } catch {
            logger.error("cannot reschedule a storage commitment report", metadata: ["transaction_uid": "\(commitment.transactionUID)", "error": "\(error)"])
        }
    }
}
