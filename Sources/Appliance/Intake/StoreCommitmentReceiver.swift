import DICOMNetwork
import Foundation
import Logging
import POSIXSupport
import StudyStore

/// The store's side of storage commitment: a request is a row in the store before the N-ACTION
/// is answered, and an instance is reported committed only when the store holds it durably
/// (its row committed, its blob on disk, its SOP class the one asked about).
public struct StoreCommitmentReceiver: CommitmentReceiver {
    let store: StudyStore
    /// How long the modality's own association has to acknowledge the report before a new
    /// association is tried anyway (covers an agent that stops while the association is open).
    let sameAssociationGrace: Duration
    let logger: Logger

    public init(store: StudyStore, sameAssociationGrace: Duration = .seconds(120), logger: Logger) {
        self.store = store
        self.sameAssociationGrace = sameAssociationGrace
        self.logger = logger
    }

    public func accept(_ request: StorageCommitmentRequest, callingAETitle: String) async throws {
        let store = self.store
        let grace = Double(sameAssociationGrace.components.seconds) + Double(sameAssociationGrace.components.attoseconds) / 1e18
        try await BlockingIO.run {
            try store.recordCommitment(
                transactionUID: request.transactionUID, callingAETitle: callingAETitle,
                references: request.references.map { CommittedReference(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) },
                firstAttemptAt: Date().addingTimeInterval(grace)
            )
        }
        logger.info("storage commitment requested", metadata: [
            "calling_ae": "\(callingAETitle)", "transaction_uid": "\(request.transactionUID)", "instances": "\(request.references.count)",
        ])
    }

    public func report(for request: StorageCommitmentRequest) async -> StorageCommitmentReport {
        let store = self.store
        let references = request.references
        let holdings: Result<[InstanceHolding], any Error>
        do {
            holdings = .success(try await BlockingIO.run {
                try store.holdings(of: references.map { CommittedReference(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) })
            })
        } catch {
            holdings = .failure(error)
        }
        return Self.report(request, holdings: holdings, logger: logger)
    }

    /// The report for `request` given what the store holds; a store that cannot be read commits
    /// nothing (0x0110 for every instance), it never guesses.
    static func report(_ request: StorageCommitmentRequest, holdings: Result<[InstanceHolding], any Error>, logger: Logger) -> StorageCommitmentReport {
        var committed: [SOPReference] = []
        var failed: [StorageCommitmentReport.Failure] = []
        switch holdings {
        case .failure(let error):
            logger.error("storage commitment: the store cannot be read; every instance is reported as a processing failure", metadata: [
                "transaction_uid": "\(request.transactionUID)", "error": "\(error)",
            ])
            failed = request.references.map { .init(reference: $0, reason: .processingFailure) }
        case .success(let holdings):
            for (reference, holding) in zip(request.references, holdings) {
                switch holding {
                case .durable:
                    committed.append(reference)
                case .unknown:
                    failed.append(.init(reference: reference, reason: .noSuchObjectInstance))
                case .classConflict(let storedClass):
                    logger.notice("storage commitment: SOP class differs from the stored instance's", metadata: [
                        "sop_instance_uid": "\(reference.sopInstanceUID)", "requested_class": "\(reference.sopClassUID)", "stored_class": "\(storedClass)",
                    ])
                    failed.append(.init(reference: reference, reason: .classInstanceConflict))
                case .notHeld(let why):
                    logger.notice("storage commitment: instance not held", metadata: ["sop_instance_uid": "\(reference.sopInstanceUID)", "why": "\(why)"])
                    failed.append(.init(reference: reference, reason: .processingFailure))
                }
            }
        }
        return StorageCommitmentReport(transactionUID: request.transactionUID, committed: committed, failed: failed)
    }

    public func reported(transactionUID: String, eventTypeID: UInt16) async {
        let store = self.store
        do {
            try await BlockingIO.run { try store.markCommitmentReported(transactionUID: transactionUID, eventTypeID: Int(eventTypeID)) }
        } catch {
            // The row stays pending: the report goes again on a new association, which is harmless.
            logger.error("storage commitment reported but not recorded as such", metadata: ["transaction_uid": "\(transactionUID)", "error": "\(error)"])
        }
    }

    public func deliverLater(transactionUID: String, reason: String) async {
        let store = self.store
        do {
            try await BlockingIO.run {
                try store.rescheduleCommitment(transactionUID: transactionUID, error: reason, nextAttemptAt: Date(), countsAsAttempt: false)
            }
        } catch {
            // Still pending with its grace deadline: the reporter sends it then.
            logger.error("storage commitment could not be rescheduled", metadata: ["transaction_uid": "\(transactionUID)", "error": "\(error)"])
        }
    }
}
