import DICOM
import Logging
import NIOCore

/// Storage Commitment Push Model as its SCP (PS3.4 J.3): the N-ACTION is recorded through the
/// ``CommitmentReceiver`` and answered, then the report goes back at once as an N-EVENT-REPORT
/// on the same association. The box sends it as the performer of the SOP class's
/// notification on an association the modality opened, which needs no role negotiation (only a
/// report on an association the box opens does, PS3.4 J.3.3). Until the modality answers it
/// the report stays pending; if the association ends first, the receiver delivers it later.
extension SCPAssociation {
    mutating func commitmentRequested(
        _ transfer: DataSetTransfer, dataSet: ByteBuffer, commitments: any CommitmentReceiver,
        in established: inout Established, sender: MessageSender
    ) async throws {
        let command = transfer.command
        let syntax = established.agreement.contexts[transfer.contextID]?.transferSyntax ?? .implicitVRLittleEndian
        let logger = self.logger
        func answer(_ status: DIMSEStatus, _ comment: String?) async throws {
            try await Self.answer(transfer, status, comment, refused: "storage commitment request refused", sender: sender, logger: logger)
        }
        if let refusal = transfer.refusal {
            return try await answer(refusal.status, refusal.comment)
        }
        guard command.requestedSOPClassUID == SOPClass.storageCommitmentPushModel else {
            return try await answer(.sopClassNotSupported, "N-ACTION for \(command.requestedSOPClassUID ?? "no SOP class") on the storage commitment context")
        }
        guard command.requestedSOPInstanceUID == SOPClass.storageCommitmentPushModelInstance else {
            return try await answer(.noSuchSOPInstance, "storage commitment is requested of instance \(SOPClass.storageCommitmentPushModelInstance)")
        }
        guard command.actionTypeID == StorageCommitmentRequest.actionTypeID else {
            return try await answer(.noSuchActionType, "action type \(command.actionTypeID.map(String.init) ?? "none"); only 1 is defined")
        }
        let request: StorageCommitmentRequest
        do {
            let parsed = try DataSet(dataSetBytes: Array(dataSet.readableBytesView), transferSyntax: syntax)
            request = try StorageCommitmentRequest(dataSet: parsed)
        } catch {
            return try await answer(.processingFailure, "unreadable storage commitment request: \(error)")
        }
        do {
            try await commitments.accept(request, callingAETitle: established.callingAETitle)
        } catch {
            return try await answer(.processingFailure, "the commitment could not be recorded: \(error)")
        }
        try await answer(.success, nil)
        let report = await commitments.report(for: request)
        let messageID = established.takeMessageID()
        established.awaitingReports[messageID] = SentReport(transactionUID: request.transactionUID, eventTypeID: report.eventTypeID)
        let event = DIMSECommand.eventReportRequest(
            messageID: messageID, sopClassUID: SOPClass.storageCommitmentPushModel,
            sopInstanceUID: SOPClass.storageCommitmentPushModelInstance, eventTypeID: report.eventTypeID
        )
        logger.info("storage commitment reported on the modality's association", metadata: [
            "calling_ae": "\(established.callingAETitle)", "transaction_uid": "\(request.transactionUID)",
            "event_type": "\(report.eventTypeID)", "committed": "\(report.committed.count)", "failed": "\(report.failed.count)",
        ])
        try await sender.send(event, contextID: transfer.contextID)
        try await sender.send(ByteBuffer(bytes: report.encoded(transferSyntax: syntax)), contextID: transfer.contextID, isCommand: false)
    }

    /// Answers a storage commitment message (N-ACTION, N-EVENT-REPORT) on its context; a failure
    /// status is logged with `refused`.
    static func answer(
        _ transfer: DataSetTransfer, _ status: DIMSEStatus, _ comment: String?, refused: Logger.Message,
        metadata: Logger.Metadata = [:], sender: MessageSender, logger: Logger
    ) async throws {
        if !status.isSuccess {
            logger.warning(refused, metadata: metadata.merging(["status": "\(status)", "comment": "\(comment ?? "")"]) { $1 })
        }
        try await sender.send(transfer.command.response(status: status, comment: comment), contextID: transfer.contextID)
    }

    /// The modality's N-EVENT-REPORT-RSP: success ends the commitment; anything else leaves it
    /// for a new association.
    func reportAnswered(_ response: DIMSECommand, report: SentReport) async {
        let status = response.status ?? .processingFailure
        if status.isSuccess || status.isWarning {
            await commitments?.reported(transactionUID: report.transactionUID, eventTypeID: report.eventTypeID)
        } else {
            logger.warning("the modality refused the storage commitment report", metadata: ["transaction_uid": "\(report.transactionUID)", "status": "\(status)"])
            await commitments?.deliverLater(transactionUID: report.transactionUID, reason: "the modality answered the N-EVENT-REPORT with \(status)")
        }
    }

    /// Hands every report the modality has not acknowledged to the receiver for a new association.
    mutating func deferUnacknowledgedReports(reason: String) async {
        guard case .established(var established) = state, !established.awaitingReports.isEmpty else { return }
        let pending = established.awaitingReports.values.map(\.transactionUID).sorted()
        established.awaitingReports = [:]
        state = .established(established)
        for transactionUID in pending {
            logger.notice("storage commitment report not acknowledged; it goes on a new association", metadata: [
                "transaction_uid": "\(transactionUID)", "reason": "\(reason)",
            ])
            await commitments?.deliverLater(transactionUID: transactionUID, reason: reason)
        }
    }
}
