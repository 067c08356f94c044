import DICOM
import Logging
import NIOCore

/// One association accepted by the listener, from A-ASSOCIATE-RQ to release or abort.
///
/// The state lives in this value and is touched by the one task that reads the association's
/// PDUs in order, so it needs no actor: every transition happens in ``run()``.
struct SCPAssociation {
    enum State {
        /// Connection open, ARTIM running, no A-ASSOCIATE-RQ yet.
        case awaitingRequest
        /// Accepted; DIMSE messages flow.
        case established(Established)
        /// Released, rejected or aborted by this side; waiting for the peer to close (ARTIM).
        case closing
    }

    struct Established {
        var agreement: AssociationNegotiator.Agreement
        var callingAETitle: String
        var message: MessageInProgress = .idle
        /// N-EVENT-REPORTs this side sent and the modality has not answered, by message ID.
        /// Whatever is left when the association ends goes on a new one.
        var awaitingReports: [UInt16: SentReport] = [:]
        var nextMessageID: UInt16 = 1

        mutating func takeMessageID() -> UInt16 {
            defer { nextMessageID = nextMessageID &+ 1 == 0 ? 1 : nextMessageID &+ 1 }
            return nextMessageID
        }
    }

    /// Where the association is within a DIMSE message.
    enum MessageInProgress {
        case idle
        /// Command fragments so far, on one context.
        case command(contextID: UInt8, bytes: ByteBuffer)
        /// The command is complete and its data set is arriving.
        case dataSet(DataSetTransfer)
    }

    struct SentReport {
        var transactionUID: String
        var eventTypeID: UInt16
    }

    struct DataSetTransfer {
        var contextID: UInt8
        var command: DIMSECommand
        /// Nil when the data set is read only to be discarded.
        var sink: (any InstanceSink)?
        /// Set when the request is refused; the status answers it once the data set ends.
        var refusal: InstanceSinkError?
        /// An N-ACTION's data set, small and kept in memory until it is complete.
        var collected: ByteBuffer? = nil
        var bytes = 0
    }

    /// The largest N-ACTION data set read: about 20,000 references, far more than one study.
    static let maximumCommitmentBytes = 4 << 20

    let channel: NIOAsyncChannel<PDU, ByteBuffer>
    let negotiator: AssociationNegotiator
    let receiver: any InstanceReceiver
    /// Nil when the listener serves no storage commitment.
    let commitments: (any CommitmentReceiver)?
    /// Nil when the listener takes no storage commitment reports on associations peers open.
    let commitmentReports: (any CommitmentReportReceiver)?
    /// Nil when the listener serves no query/retrieve.
    let queryRetrieve: QueryRetrieveSource?
    /// Nil when the listener serves no modality worklist.
    let worklist: (any WorklistSource)?
    /// The connection's C-CANCEL watcher in the pipeline, if it has one.
    let cancels: CancelWatcher?
    /// The association's PDUs, read by ``run()`` and, during a C-GET, by its sub-operations.
    var pdus: NIOAsyncChannelInboundStream<PDU>.AsyncIterator?
    /// Asked once negotiation succeeded: the listener's association slot, or why there is none.
    let claimAssociationSlot: @Sendable () async -> ConnectionAdmission.Refusal?
    let peer: String
    let logger: Logger
    // Internal so the storage commitment extension can hand over unacknowledged reports.
    var state = State.awaitingRequest
    private(set) var stored = 0

    init(
        channel: NIOAsyncChannel<PDU, ByteBuffer>, negotiator: AssociationNegotiator, receiver: any InstanceReceiver,
        commitments: (any CommitmentReceiver)? = nil, commitmentReports: (any CommitmentReportReceiver)? = nil,
        queryRetrieve: QueryRetrieveSource? = nil, worklist: (any WorklistSource)? = nil, cancels: CancelWatcher? = nil,
        logger: Logger,
        claimAssociationSlot: @escaping @Sendable () async -> ConnectionAdmission.Refusal?
    ) {
        self.channel = channel
        self.negotiator = negotiator
        self.receiver = receiver
        self.commitments = commitments
        self.commitmentReports = commitmentReports
        self.queryRetrieve = queryRetrieve
        self.worklist = worklist
        self.cancels = cancels
        self.claimAssociationSlot = claimAssociationSlot
        peer = channel.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    mutating func run() async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                let sender = MessageSender(outbound: outbound, channel: channel.channel, peerMaximumLength: 0)
                do {
                    pdus = inbound.makeAsyncIterator()
                    while let pdu = try await nextPDU() {
                        if try await handle(pdu, sender: sender) == .stop { break }
                    }
                    await endedByPeer(reason: "connection closed by the peer")
                } catch let error as DICOMNetworkError where error.code == .timeout {
                    await endedByPeer(reason: "\(error)")
                } catch let error as DICOMNetworkError {
                    // The peer broke the protocol: tell it why, then hang up.
                    logger.warning("aborting association", metadata: ["error": "\(error)"])
                    abandonTransfer()
                    await deferUnacknowledgedReports(reason: "association aborted: \(error)")
                    try? await sender.send(.abort(AbortPDU(source: .serviceProvider, reason: error.abortReason)))
                    state = .closing
                }
            }
        } catch {
            abandonTransfer()
            await deferUnacknowledgedReports(reason: "association ended by an error: \(error)")
            logger.warning("association ended by an error", metadata: ["error": "\(error)"])
        }
    }

    private enum Next { case proceed, stop }

    mutating func nextPDU() async throws -> PDU? {
        try await pdus?.next()
    }

    private mutating func handle(_ pdu: PDU, sender: MessageSender) async throws -> Next {
        switch (state, pdu) {
        case (.awaitingRequest, .associateRequest(let request)):
            return try await associate(request, sender: sender)
        case (.established(var established), .data(let values)):
            // Written back on every exit, a thrown error included, so abandonTransfer sees the
            // transfer that is really in progress.
            defer { state = .established(established) }
            for value in values {
                try await handle(value, in: &established, sender: sender)
            }
            return .proceed
        case (.established(let established), .releaseRequest):
            if case .idle = established.message {} else {
                logger.warning("release requested in the middle of a message; the unfinished instance is dropped")
            }
            abandonTransfer()
            await deferUnacknowledgedReports(reason: "association released before the report was acknowledged")
            try await sender.send(.releaseResponse)
            logger.info("association released", metadata: ["calling_ae": "\(established.callingAETitle)", "stored": "\(stored)"])
            state = .closing
            try await setTimer(.artim)
            return .proceed
        case (_, .abort(let abort)):
            abandonTransfer()
            await deferUnacknowledgedReports(reason: "association aborted by the peer before the report was acknowledged")
            logger.notice("association aborted by the peer", metadata: ["abort": "\(abort)"])
            state = .closing
            return .stop
        case (.closing, _):
            // After a release or rejection only the peer's close is expected; ignore stragglers.
            return .proceed
        default:
            throw DICOMNetworkError(.unexpectedPDU, "\(pdu.kind) while \(stateName)")
        }
    }

    private var stateName: String {
        switch state {
        case .awaitingRequest: "waiting for A-ASSOCIATE-RQ"
        case .established: "established"
        case .closing: "closing"
        }
    }

    private mutating func associate(_ request: AssociateRequest, sender: MessageSender) async throws -> Next {
        var outcome = negotiator.negotiate(request)
        // Negotiation first, so a wrong AE title gets its permanent rejection; the slot only for
        // an association the box would otherwise accept.
        if case .accepted = outcome, let refusal = await claimAssociationSlot() {
            outcome = .rejected(.localLimitExceeded, reason: "\(refusal)")
        }
        switch outcome {
        case .rejected(let reject, let reason):
            logger.warning("association rejected", metadata: [
                "calling_ae": "\(request.callingAETitle)", "called_ae": "\(request.calledAETitle)", "reason": "\(reason)",
            ])
            try await sender.send(.associateReject(reject))
            state = .closing
            try await setTimer(.artim)
            return .proceed
        case .accepted(let agreement):
            try await sender.send(.associateAccept(agreement.accept))
            logger.info("association accepted", metadata: [
                "calling_ae": "\(request.callingAETitle)", "contexts_accepted": "\(agreement.contexts.count)",
                "contexts_proposed": "\(request.presentationContexts.count)",
                "peer_implementation": "\(request.userInformation.implementationClassUID) \(request.userInformation.implementationVersionName ?? "")",
                "peer_max_pdu": "\(agreement.peerMaximumLength)",
            ])
            state = .established(Established(agreement: agreement, callingAETitle: request.callingAETitle))
            try await setTimer(.idle)
            return .proceed
        }
    }

    private func setTimer(_ phase: AssociationTimerHandler.Phase) async throws {
        try await channel.channel.triggerUserOutboundEvent(phase).get()
    }

    // MARK: DIMSE messages

    private mutating func handle(_ value: PresentationDataValue, in established: inout Established, sender: MessageSender) async throws {
        guard let context = established.agreement.contexts[value.contextID] else {
            throw DICOMNetworkError(.unknownPresentationContext, "PDV on presentation context \(value.contextID), which was not accepted")
        }
        let sender = MessageSender(outbound: sender.outbound, channel: sender.channel, peerMaximumLength: established.agreement.peerMaximumLength)
        switch established.message {
        case .idle where value.isCommand:
            if value.isLastFragment {
                established.message = .idle
                try await commandComplete(value.data, context: context, in: &established, sender: sender)
            } else {
                established.message = .command(contextID: value.contextID, bytes: value.data)
            }
        case .command(let contextID, var bytes) where value.isCommand && value.contextID == contextID:
            guard bytes.readableBytes + value.data.readableBytes <= DIMSECommand.maximumLength else {
                throw DICOMNetworkError(.malformedCommand, "command set longer than \(DIMSECommand.maximumLength) bytes")
            }
            var fragment = value.data
            bytes.writeBuffer(&fragment)
            if value.isLastFragment {
                established.message = .idle
                try await commandComplete(bytes, context: context, in: &established, sender: sender)
            } else {
                established.message = .command(contextID: contextID, bytes: bytes)
            }
        case .dataSet(var transfer) where !value.isCommand && value.contextID == transfer.contextID:
            transfer.bytes += value.data.readableBytes
            if transfer.refusal == nil, transfer.bytes > negotiator.configuration.maximumInstanceBytes {
                refuseOversized(&transfer)
            }
            if transfer.collected != nil, transfer.refusal == nil {
                if transfer.bytes > Self.maximumCommitmentBytes {
                    transfer.collected = nil
                    transfer.refusal = InstanceSinkError(status: .processingFailure, comment: "N-ACTION data set over \(Self.maximumCommitmentBytes) bytes")
                } else {
                    var fragment = value.data
                    transfer.collected!.writeBuffer(&fragment)
                }
            }
            if let sink = transfer.sink, transfer.refusal == nil {
                let outcome = value.data.withUnsafeReadableBytes { raw in
                    Result { () throws(InstanceSinkError) in try sink.append(raw) }
                }
                if case .failure(let refusal) = outcome {
                    sink.abandon()
                    transfer.sink = nil
                    transfer.refusal = refusal
                }
            }
            if value.isLastFragment {
                established.message = .idle
                try await dataSetComplete(transfer, in: &established, sender: sender)
            } else {
                established.message = .dataSet(transfer)
            }
        default:
            throw DICOMNetworkError(
                .unexpectedPDU,
                "\(value.isCommand ? "command" : "data set") fragment on context \(value.contextID) while \(established.message.name)"
            )
        }
    }

    private mutating func commandComplete(_ bytes: ByteBuffer, context: AcceptedContext, in established: inout Established, sender: MessageSender) async throws {
        let command = try DIMSECommand(decoding: bytes)
        if command.kind == .eventReportResponse, let id = command.messageIDBeingRespondedTo,
           let report = established.awaitingReports.removeValue(forKey: id) {
            await reportAnswered(command, report: report)
            return
        }
        guard command.isRequest else {
            throw DICOMNetworkError(.unexpectedPDU, "a response (command field 0x\(String(command.commandField, radix: 16))) sent to the SCP")
        }
        let servesQueryRetrieve = command.hasDataSet && queryRetrieve != nil && SOPClass.studyRootQueryRetrieve.contains(context.abstractSyntax)
        let servesWorklist = command.hasDataSet && worklist != nil && context.abstractSyntax == SOPClass.modalityWorklistFind
        switch command.kind {
        case .echoRequest where !command.hasDataSet:
            try await sender.send(command.response(status: .success), contextID: context.id)
        case .storeRequest where command.hasDataSet:
            established.message = .dataSet(await beginStore(command, context: context, callingAETitle: established.callingAETitle))
        case .actionRequest where command.hasDataSet && commitments != nil && context.abstractSyntax == SOPClass.storageCommitmentPushModel:
            established.message = .dataSet(DataSetTransfer(contextID: context.id, command: command, sink: nil, refusal: nil, collected: ByteBuffer()))
        case .eventReportRequest where command.hasDataSet && established.agreement.peerReportsCommitments && commitmentReports != nil
            && context.abstractSyntax == SOPClass.storageCommitmentPushModel:
            established.message = .dataSet(DataSetTransfer(contextID: context.id, command: command, sink: nil, refusal: nil, collected: ByteBuffer()))
        case .findRequest where servesQueryRetrieve, .moveRequest where servesQueryRetrieve, .getRequest where servesQueryRetrieve,
             .findRequest where servesWorklist:
            established.message = .dataSet(DataSetTransfer(contextID: context.id, command: command, sink: nil, refusal: nil, collected: ByteBuffer()))
        case .cancelRequest:
            // Seen by the CancelWatcher while its request ran; one arriving after the final
            // response has nothing left to cancel and is never answered (PS3.7 9.3.2.3).
            if let id = command.messageIDBeingRespondedTo { cancels?.forget(id) }
        default:
            let refusal = InstanceSinkError(
                status: .unrecognisedOperation, comment: "only C-ECHO, C-STORE, storage commitment, Study Root Q/R and Modality Worklist FIND are served"
            )
            if command.hasDataSet {
                established.message = .dataSet(DataSetTransfer(contextID: context.id, command: command, sink: nil, refusal: refusal))
            } else {
                try await sender.send(command.response(status: refusal.status, comment: refusal.comment), contextID: context.id)
            }
        }
    }

    private func beginStore(_ command: DIMSECommand, context: AcceptedContext, callingAETitle: String) async -> DataSetTransfer {
        var transfer = DataSetTransfer(contextID: context.id, command: command, sink: nil, refusal: nil)
        guard let sopClass = command.affectedSOPClassUID, let sopInstance = command.affectedSOPInstanceUID,
              !sopClass.isEmpty, !sopInstance.isEmpty else {
            transfer.refusal = InstanceSinkError(status: .cannotUnderstand, comment: "C-STORE-RQ without Affected SOP Class or Instance UID")
            return transfer
        }
        guard negotiator.configuration.storageSOPClasses.contains(sopClass) else {
            // A context accepted only for C-GET's sub-operations, which the box sends, not takes.
            transfer.refusal = InstanceSinkError(status: .sopClassNotSupported, comment: "SOP class \(sopClass) is not stored by this box")
            return transfer
        }
        guard sopClass == context.abstractSyntax else {
            transfer.refusal = InstanceSinkError(
                status: .sopClassNotSupported,
                comment: "SOP class \(sopClass) sent on the context for \(context.abstractSyntax)"
            )
            return transfer
        }
        let incoming = IncomingInstance(
            sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: context.transferSyntax,
            callingAETitle: callingAETitle, peer: peer, messageID: command.messageID ?? 0
        )
        switch await receiver.begin(incoming) {
        case .accept(let sink):
            transfer.sink = sink
        case .refuse(let status, let comment):
            transfer.refusal = InstanceSinkError(status: status, comment: comment)
        }
        return transfer
    }

    /// The data set just passed the size cap: the fragment that passed it is not written, the
    /// partial file goes now (not when the rest has arrived), and the rest is read and dropped so
    /// the association stays in step and can carry the next instance. 0xA700: PS3.4 B.2.3's
    /// "Refused: Out of Resources" is the SCP lacking the resources to store the instance, which
    /// is what a local cap is; 0xC000 "Cannot understand" would blame a data set the box never
    /// looked at.
    private func refuseOversized(_ transfer: inout DataSetTransfer) {
        let cap = negotiator.configuration.maximumInstanceBytes
        transfer.sink?.abandon()
        transfer.sink = nil
        transfer.refusal = InstanceSinkError(status: .outOfResources, comment: "data set over \(cap) bytes (dicom.maxInstanceBytes)")
        logger.warning("C-STORE data set passed the size cap; the rest is read and dropped", metadata: [
            "sop_instance_uid": "\(transfer.command.affectedSOPInstanceUID ?? "")", "max_instance_bytes": "\(cap)",
        ])
    }

    private mutating func dataSetComplete(_ transfer: DataSetTransfer, in established: inout Established, sender: MessageSender) async throws {
        if transfer.command.kind == .actionRequest, let collected = transfer.collected, let commitments {
            try await commitmentRequested(transfer, dataSet: collected, commitments: commitments, in: &established, sender: sender)
            return
        }
        if transfer.command.kind == .eventReportRequest, let collected = transfer.collected, let commitmentReports {
            try await commitmentReported(transfer, dataSet: collected, reports: commitmentReports, in: &established, sender: sender)
            return
        }
        if transfer.command.kind == .findRequest, let collected = transfer.collected, let worklist,
           let context = established.agreement.contexts[transfer.contextID], context.abstractSyntax == SOPClass.modalityWorklistFind {
            try await worklistRequested(transfer, identifier: collected, source: worklist, context: context, sender: sender)
            return
        }
        if [.findRequest, .moveRequest, .getRequest].contains(transfer.command.kind), let collected = transfer.collected, let queryRetrieve {
            try await queryRetrieveRequested(transfer, identifier: collected, source: queryRetrieve, in: &established, sender: sender)
            return
        }
        let status: DIMSEStatus
        let comment: String?
        if let refusal = transfer.refusal {
            (status, comment) = (refusal.status, refusal.comment)
        } else if let sink = transfer.sink {
            (status, comment) = await sink.finish()
        } else {
            (status, comment) = (.processingFailure, "no receiver")
        }
        if status.isSuccess { stored += 1 }
        if !status.isSuccess {
            logger.warning("C-STORE answered with a failure", metadata: [
                "status": "\(status)", "comment": "\(comment ?? "")",
                "sop_instance_uid": "\(transfer.command.affectedSOPInstanceUID ?? "")", "bytes": "\(transfer.bytes)",
            ])
        }
        try await sender.send(transfer.command.response(status: status, comment: comment), contextID: transfer.contextID)
    }

    // MARK: Ending

    /// The connection ended without a release: whatever was being received is dropped.
    private mutating func endedByPeer(reason: String) async {
        switch state {
        case .closing:
            break
        case .awaitingRequest:
            logger.info("connection ended before an association", metadata: ["reason": "\(reason)"])
        case .established(let established):
            if case .dataSet = established.message {
                logger.warning("association ended in the middle of a data set; nothing was acknowledged for it", metadata: ["reason": "\(reason)"])
            } else {
                logger.notice("association ended without release", metadata: ["reason": "\(reason)"])
            }
        }
        abandonTransfer()
        await deferUnacknowledgedReports(reason: "association ended before the report was acknowledged (\(reason))")
        state = .closing
    }

    private mutating func abandonTransfer() {
        guard case .established(var established) = state else { return }
        if case .dataSet(let transfer) = established.message {
            transfer.sink?.abandon()
        }
        established.message = .idle
        state = .established(established)
    }
}

extension SCPAssociation.MessageInProgress {
    var name: String {
        switch self {
        case .idle: "between messages"
        case .command: "receiving a command"
        case .dataSet: "receiving a data set"
        }
    }
}
