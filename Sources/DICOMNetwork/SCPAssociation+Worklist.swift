import DICOM
import NIOCore

/// Modality Worklist Information Model – FIND as its SCP (PS3.4 annex K): a pending response
/// per matching scheduled item, then success; a C-CANCEL is honoured between two responses.
extension SCPAssociation {
    func worklistRequested(
        _ transfer: DataSetTransfer, identifier: ByteBuffer, source: any WorklistSource, context: AcceptedContext, sender: MessageSender
    ) async throws {
        let command = transfer.command
        let messageID = command.messageID ?? 0
        defer { cancels?.forget(messageID) }
        func answer(_ status: DIMSEStatus, _ comment: String) async throws {
            logger.warning("worklist request refused", metadata: ["status": "\(status)", "comment": "\(comment)"])
            try await sender.send(command.response(status: status, comment: comment), contextID: context.id)
        }
        if let refusal = transfer.refusal {
            return try await answer(refusal.status, refusal.comment)
        }
        guard command.affectedSOPClassUID == SOPClass.modalityWorklistFind else {
            return try await answer(.sopClassNotSupported, "C-FIND for \(command.affectedSOPClassUID ?? "no SOP class") on the worklist context")
        }
        let request: WorklistRequest
        do {
            request = WorklistRequest(identifier: try DataSet(dataSetBytes: Array(identifier.readableBytesView), transferSyntax: context.transferSyntax))
        } catch {
            return try await answer(.identifierDoesNotMatchSOPClass, "\(error)")
        }
        let matches: [WorklistItem]
        do {
            matches = request.matches(in: try await source.scheduledItems())
        } catch {
            return try await answer(.unableToProcess, "the worklist cannot be read: \(error)")
        }
        try await sendFindResponses(
            command, count: matches.count, context: context, sender: sender,
            metadata: ["information_model": "worklist", "keys": "\(request.keys.count + (request.stepKeys?.count ?? 0))"]
        ) { index in
            request.responseIdentifier(for: matches[index], transferSyntax: context.transferSyntax)
        }
    }
}
