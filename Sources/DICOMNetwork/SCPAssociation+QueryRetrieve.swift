import DICOM
import Logging
import NIOCore

/// Study Root Query/Retrieve as its SCP (PS3.4 annex C): C-FIND answered with a pending
/// response per match then success; C-MOVE sending the matches on a new association to a
/// destination from `dicom.peers`; C-GET sending them on this association, to the requestor in
/// the storage SCP role it asked for. A C-CANCEL is honoured between two responses.
extension SCPAssociation {
    /// Sub-operation counts of a C-MOVE or C-GET.
    struct SubOperations {
        var total: Int
        var completed = 0
        var failed = 0
        var warning = 0
        var failedUIDs: [String] = []
        var remaining: Int { total - completed - failed - warning }

        mutating func record(_ status: DIMSEStatus?, sopInstanceUID: String) {
            if status?.isSuccess == true {
                completed += 1
            } else if status?.isWarning == true {
                warning += 1
            } else {
                failed += 1
                failedUIDs.append(sopInstanceUID)
            }
        }

        func response(to command: DIMSECommand, status: DIMSEStatus, final: Bool, comment: String? = nil) -> DIMSECommand {
            var response = command.response(status: status, comment: comment)
            if !final || status == .cancel { response.remainingSubOperations = UInt16(clamping: remaining) }
            response.completedSubOperations = UInt16(clamping: completed)
            response.failedSubOperations = UInt16(clamping: failed)
            response.warningSubOperations = UInt16(clamping: warning)
            return response
        }

        /// The final status: success, B000 when any sub-operation failed or warned, cancel.
        func finalStatus(cancelled: Bool) -> DIMSEStatus {
            if cancelled { return .cancel }
            return failed + warning == 0 ? .success : .subOperationsCompleteWithFailures
        }
    }

    mutating func queryRetrieveRequested(
        _ transfer: DataSetTransfer, identifier: ByteBuffer, source: QueryRetrieveSource,
        in established: inout Established, sender: MessageSender
    ) async throws {
        let command = transfer.command
        let context = established.agreement.contexts[transfer.contextID]!
        let logger = self.logger
        func answer(_ status: DIMSEStatus, _ comment: String) async throws {
            logger.warning("query/retrieve request refused", metadata: ["status": "\(status)", "comment": "\(comment)"])
            try await sender.send(command.response(status: status, comment: comment), contextID: context.id)
        }
        if let refusal = transfer.refusal {
            return try await answer(refusal.status, refusal.comment)
        }
        let expected: DIMSECommand.Kind = switch context.abstractSyntax {
        case SOPClass.studyRootFind: .findRequest
        case SOPClass.studyRootMove: .moveRequest
        default: .getRequest
        }
        guard command.kind == expected, command.affectedSOPClassUID == context.abstractSyntax else {
            return try await answer(.sopClassNotSupported, "\(command.kind.map { "\($0)" } ?? "request") on the context for \(context.abstractSyntax)")
        }
        let request: QueryRequest
        do {
            request = try QueryRequest(identifier: DataSet(dataSetBytes: Array(identifier.readableBytesView), transferSyntax: context.transferSyntax))
        } catch {
            return try await answer(.identifierDoesNotMatchSOPClass, "\(error)")
        }
        let matches: [QueryMatch]
        do {
            matches = request.matches(in: try await request.candidates(in: source.archive))
        } catch {
            return try await answer(.unableToProcess, "the store cannot be read: \(error)")
        }
        let messageID = command.messageID ?? 0
        defer { cancels?.forget(messageID) }
        switch expected {
        case .findRequest:
            try await answerFind(command, request: request, matches: matches, context: context, sender: sender)
        case .moveRequest:
            try await performMove(command, matches: matches, source: source, callingAETitle: established.callingAETitle, context: context, sender: sender)
        default:
            try await performGet(command, matches: matches, source: source, in: &established, context: context, sender: sender)
        }
    }

    /// C-FIND matches sent between two waits for the socket (``MessageSender/flushed()``): about
    /// 10 KB, so a C-CANCEL is read within that much of the peer's reading.
    static let matchesBetweenFlushes = 32

    private func answerFind(_ command: DIMSECommand, request: QueryRequest, matches: [QueryMatch], context: AcceptedContext, sender: MessageSender) async throws {
        try await sendFindResponses(
            command, count: matches.count, context: context, sender: sender,
            metadata: ["level": "\(request.level.keyword)", "keys": "\(request.keys.count)"]
        ) { index in
            request.responseIdentifier(for: matches[index], retrieveAETitle: negotiator.configuration.aeTitle, transferSyntax: context.transferSyntax)
        }
    }

    /// A C-FIND's answer: a pending response with the identifier of each of `count` matches, then
    /// success; a C-CANCEL read between two of them ends it with the cancel status instead.
    func sendFindResponses(
        _ command: DIMSECommand, count: Int, context: AcceptedContext, sender: MessageSender, metadata: Logger.Metadata,
        identifier: (Int) -> [UInt8]
    ) async throws {
        var sent = 0
        for index in 0..<count {
            if cancels?.takeCancel(of: command.messageID ?? 0) == true {
                logger.info("C-FIND cancelled by the peer", metadata: metadata.merging(["sent": "\(sent)", "matches": "\(count)"]) { $1 })
                return try await sender.send(command.response(status: .cancel), contextID: context.id)
            }
            var pending = command.response(status: .pending)
            pending.hasDataSet = true
            try await sender.send(pending, contextID: context.id)
            try await sender.send(ByteBuffer(bytes: identifier(index)), contextID: context.id, isCommand: false)
            sent += 1
            if sent % Self.matchesBetweenFlushes == 0 { try await sender.flushed() }
        }
        try await sender.send(command.response(status: .success), contextID: context.id)
        logger.info("C-FIND answered", metadata: metadata.merging(["matches": "\(count)"]) { $1 })
    }

    /// The final C-MOVE/C-GET response; failures name their instances in Failed SOP Instance UID List.
    private func finish(_ command: DIMSECommand, _ operations: SubOperations, cancelled: Bool, context: AcceptedContext, sender: MessageSender) async throws {
        let status = operations.finalStatus(cancelled: cancelled)
        var response = operations.response(to: command, status: status, final: true)
        response.hasDataSet = !operations.failedUIDs.isEmpty
        try await sender.send(response, contextID: context.id)
        if response.hasDataSet {
            let encoder = DataElementEncoder(explicit: context.transferSyntax.isExplicitVR, bigEndian: false)
            let identifier = encoder.encode(QueryKey.failedSOPInstanceUIDList, .UI, text: operations.failedUIDs.joined(separator: "\\"))
            try await sender.send(ByteBuffer(bytes: identifier), contextID: context.id, isCommand: false)
        }
        logger.info("retrieve finished", metadata: [
            "command": "\(command.kind.map { "\($0)" } ?? "?")", "status": "\(status)", "completed": "\(operations.completed)",
            "failed": "\(operations.failed)", "warning": "\(operations.warning)",
        ])
    }

    private func performMove(
        _ command: DIMSECommand, matches: [QueryMatch], source: QueryRetrieveSource, callingAETitle: String,
        context: AcceptedContext, sender: MessageSender
    ) async throws {
        guard let destination = command.moveDestination, let peer = source.moveDestinations.first(where: { $0.aeTitle == destination }) else {
            logger.warning("C-MOVE to an unknown destination", metadata: ["destination": "\(command.moveDestination ?? "")"])
            return try await sender.send(
                command.response(status: .moveDestinationUnknown, comment: "\(command.moveDestination ?? "no destination") is not in dicom.peers"),
                contextID: context.id
            )
        }
        let instances = matches.flatMap(\.instances)
        var operations = SubOperations(total: instances.count)
        guard !instances.isEmpty else {
            return try await finish(command, operations, cancelled: false, context: context, sender: sender)
        }
        // Each class in each stored syntax, and each class also in Explicit VR Little Endian for
        // a destination that refuses the stored syntax (``StoreSCU/outgoing``).
        var proposals: [(sopClass: String, syntax: TransferSyntax)] = []
        for instance in instances {
            for syntax in StoreSCU.proposedSyntaxes(for: TransferSyntax(uid: instance.transferSyntaxUID))
            where !proposals.contains(where: { $0.sopClass == instance.sopClassUID && $0.syntax == syntax }) {
                proposals.append((instance.sopClassUID, syntax))
            }
        }
        var configuration = RequestorConfiguration(
            callingAETitle: negotiator.configuration.aeTitle, calledAETitle: peer.aeTitle,
            presentationContexts: proposals.prefix(128).enumerated().map { index, proposal in
                ProposedPresentationContext(id: UInt8(index * 2 + 1), abstractSyntax: proposal.sopClass, transferSyntaxes: [proposal.syntax.uid])
            }
        )
        configuration.maximumPDULength = negotiator.configuration.maximumPDULength
        var cancelled = false
        let archive = source.archive, cancels = self.cancels, logger = self.logger
        let messageID = command.messageID ?? 0
        do {
            try await SCUAssociation.withAssociation(host: peer.host, port: peer.port, configuration: configuration, logger: logger) { association in
                for instance in instances {
                    if cancels?.takeCancel(of: messageID) == true {
                        cancelled = true
                        return
                    }
                    guard let outgoing = await Self.subOperationDataSet(
                        instance, receiver: peer.aeTitle, archive: archive, operation: "C-MOVE", operations: &operations, logger: logger,
                        context: { association.context(sopClassUID: instance.sopClassUID, transferSyntax: $0) }
                    ) else { continue }
                    let response = try await association.store(
                        dataSet: outgoing.dataSet, sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID,
                        contextID: outgoing.contextID, moveOriginator: (callingAETitle, messageID)
                    )
                    operations.record(response.status, sopInstanceUID: instance.sopInstanceUID)
                    if operations.remaining > 0 {
                        try await sender.send(operations.response(to: command, status: .pending, final: false), contextID: context.id)
                    }
                }
            }
        } catch {
            // The destination is down, refused us or broke off: what was not sent failed.
            logger.warning("C-MOVE: the destination association failed", metadata: ["destination": "\(peer)", "error": "\(error)"])
            let unsent = instances.dropFirst(operations.completed + operations.failed + operations.warning).map(\.sopInstanceUID)
            operations.failed += unsent.count
            operations.failedUIDs += unsent
            if operations.completed + operations.warning == 0 {
                let response = operations.response(
                    to: command, status: .subOperationsImpossible, final: true, comment: "destination \(peer.aeTitle): \(error)"
                )
                return try await sender.send(response, contextID: context.id)
            }
        }
        try await finish(command, operations, cancelled: cancelled, context: context, sender: sender)
    }

    /// What a sub-operation sends of the instance, by ``StoreSCU/outgoing``: as stored, or decoded
    /// to Explicit VR Little Endian for a receiver that took only that; nil, recorded as a failed
    /// sub-operation with the reason logged, when the receiver took neither, the instance cannot
    /// be decoded, or it cannot be read.
    static func subOperationDataSet(
        _ instance: ArchivedInstance, receiver: String, archive: any InstanceArchive, operation: String,
        operations: inout SubOperations, logger: Logger, context: (TransferSyntax) -> AcceptedContext?
    ) async -> (dataSet: ByteBuffer, contextID: UInt8)? {
        let stored = TransferSyntax(uid: instance.transferSyntaxUID)
        guard StoreSCU.proposedSyntaxes(for: stored).contains(where: { context($0) != nil }) else {
            logger.warning("\(operation): the receiver accepted no storage context for an instance, in its stored syntax nor Explicit VR Little Endian", metadata: [
                "receiver": "\(receiver)", "sop_instance_uid": "\(instance.sopInstanceUID)", "sop_class_uid": "\(instance.sopClassUID)",
                "transfer_syntax": "\(instance.transferSyntaxUID)",
            ])
            operations.record(nil, sopInstanceUID: instance.sopInstanceUID)
            return nil
        }
        let bytes: [UInt8], file: StoreSCU.PreparedFile
        do {
            bytes = try await archive.part10(of: instance)
            file = try StoreSCU.prepare(part10: bytes, path: instance.sopInstanceUID)
        } catch {
            logger.warning("\(operation): instance cannot be read", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)", "error": "\(error)"])
            operations.record(nil, sopInstanceUID: instance.sopInstanceUID)
            return nil
        }
        switch StoreSCU.outgoing(file, part10: bytes, receiver: receiver, logger: logger, context: context) {
        case .send(let dataSet, let contextID):
            return (dataSet, contextID)
        case .refused(let reason):
            logger.warning("\(operation): instance not sent", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)", "reason": "\(reason)"])
            operations.record(nil, sopInstanceUID: instance.sopInstanceUID)
            return nil
        }
    }

    private mutating func performGet(
        _ command: DIMSECommand, matches: [QueryMatch], source: QueryRetrieveSource, in established: inout Established,
        context: AcceptedContext, sender: MessageSender
    ) async throws {
        let instances = matches.flatMap(\.instances)
        var operations = SubOperations(total: instances.count)
        let messageID = command.messageID ?? 0
        let takesSCPRole = Set(established.agreement.accept.userInformation.roleSelections.filter(\.scpRole).map(\.abstractSyntax))
        let contexts = established.agreement.contexts.values.sorted { $0.id < $1.id }
        var cancelled = false
        for instance in instances {
            if cancels?.takeCancel(of: messageID) == true {
                cancelled = true
                break
            }
            let retrievable = takesSCPRole.contains(instance.sopClassUID)
            guard let outgoing = await Self.subOperationDataSet(
                instance, receiver: established.callingAETitle, archive: source.archive, operation: "C-GET", operations: &operations, logger: logger,
                context: { syntax in retrievable ? contexts.first { $0.abstractSyntax == instance.sopClassUID && $0.transferSyntax == syntax } : nil }
            ) else { continue }
            let storeID = established.takeMessageID()
            try await sender.send(
                DIMSECommand.storeRequest(messageID: storeID, sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID),
                contextID: outgoing.contextID
            )
            try await sender.send(outgoing.dataSet, contextID: outgoing.contextID, isCommand: false)
            let response = try await storeResponse(to: storeID)
            operations.record(response.status, sopInstanceUID: instance.sopInstanceUID)
            if operations.remaining > 0 {
                try await sender.send(operations.response(to: command, status: .pending, final: false), contextID: context.id)
            }
        }
        try await finish(command, operations, cancelled: cancelled, context: context, sender: sender)
    }

    /// Reads this association's PDUs until the C-STORE-RSP to a C-GET sub-operation; a C-CANCEL
    /// on the way was noted by the watcher.
    private mutating func storeResponse(to messageID: UInt16) async throws -> DIMSECommand {
        var fragments = CommandFragments()
        while true {
            switch try await nextPDU() {
            case .data(let values)?:
                for value in values {
                    guard let command = try fragments.add(value, waiting: "the C-STORE response of a C-GET") else { continue }
                    if command.kind == .storeResponse, command.messageIDBeingRespondedTo == messageID { return command }
                    guard command.kind == .cancelRequest else {
                        throw DICOMNetworkError(.unexpectedPDU, "command 0x\(String(command.commandField, radix: 16)) while a C-GET waited for a C-STORE response")
                    }
                }
            case .abort(let abort)?:
                throw DICOMNetworkError(.associationAborted, "\(abort) during a C-GET")
            case nil:
                throw DICOMNetworkError(.connectionClosed, "connection closed during a C-GET")
            case let other?:
                throw DICOMNetworkError(.unexpectedPDU, "\(other.kind) while a C-GET waited for a C-STORE response")
            }
        }
    }
}
