import DICOM
import NIOCore

/// Storage Commitment Push Model as its SCU, on an association the committing peer opened
/// (PS3.4 J.3.3.1.3): the peer, granted the SCP role at negotiation, sends the N-EVENT-REPORT of
/// a commitment the box requested earlier. It is acknowledged success only once the
/// ``CommitmentReportReceiver`` has written it; anything else gets a failure status and a
/// comment, so the peer may report again.
extension SCPAssociation {
    mutating func commitmentReported(
        _ transfer: DataSetTransfer, dataSet: ByteBuffer, reports: any CommitmentReportReceiver,
        in established: inout Established, sender: MessageSender
    ) async throws {
        let command = transfer.command
        let callingAETitle = established.callingAETitle
        let syntax = established.agreement.contexts[transfer.contextID]?.transferSyntax ?? .implicitVRLittleEndian
        let logger = self.logger
        func answer(_ status: DIMSEStatus, _ comment: String?) async throws {
            try await Self.answer(
                transfer, status, comment, refused: "storage commitment report refused", metadata: ["calling_ae": "\(callingAETitle)"],
                sender: sender, logger: logger
            )
        }
        if let refusal = transfer.refusal {
            return try await answer(refusal.status, refusal.comment)
        }
        guard command.affectedSOPClassUID == SOPClass.storageCommitmentPushModel else {
            return try await answer(.noSuchSOPClass, "N-EVENT-REPORT for \(command.affectedSOPClassUID ?? "no SOP class") on the storage commitment context")
        }
        guard command.affectedSOPInstanceUID == SOPClass.storageCommitmentPushModelInstance else {
            return try await answer(.noSuchSOPInstance, "storage commitment is reported on instance \(SOPClass.storageCommitmentPushModelInstance)")
        }
        guard let eventType = command.eventTypeID, [1, 2].contains(eventType) else {
            return try await answer(.noSuchEventType, "event type \(command.eventTypeID.map(String.init) ?? "none"); storage commitment defines 1 and 2")
        }
        let report: StorageCommitmentReport
        do {
            report = try StorageCommitmentReport(dataSet: DataSet(dataSetBytes: Array(dataSet.readableBytesView), transferSyntax: syntax))
        } catch {
            return try await answer(.processingFailure, "unreadable storage commitment report: \(error)")
        }
        let outcome: CommitmentReportOutcome
        do {
            outcome = try await reports.received(report, from: callingAETitle)
        } catch {
            return try await answer(.processingFailure, "the report could not be recorded: \(error)")
        }
        switch outcome {
        case .recorded:
            logger.info("storage commitment report taken on the peer's association", metadata: [
                "calling_ae": "\(callingAETitle)", "transaction_uid": "\(report.transactionUID)", "event_type": "\(eventType)",
                "committed": "\(report.committed.count)", "failed": "\(report.failed.count)",
            ])
            try await answer(.success, nil)
        case .unknownTransaction:
            // 0x0115 "invalid argument value" (PS3.7 10.1.1.1.8): the Transaction UID, the
            // event information the report hinges on, names nothing this box waits for. Success
            // would claim a report was used that was not; a processing failure would invite the
            // peer to send the same report again for nothing.
            try await answer(.invalidArgumentValue, "transaction \(report.transactionUID) is not awaited from \(callingAETitle): settled already, superseded by a re-send, or never requested")
        }
    }
}
