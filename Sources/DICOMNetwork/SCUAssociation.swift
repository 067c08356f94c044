import DICOM
import Logging
import NIOCore
import NIOPosix

/// What an SCU proposes and how long it waits.
public struct RequestorConfiguration: Sendable {
    public var callingAETitle: String
    public var calledAETitle: String
    public var presentationContexts: [ProposedPresentationContext]
    /// The largest P-DATA-TF this side accepts.
    public var maximumPDULength: Int
    public var connectTimeout: Duration
    /// Waiting for the A-ASSOCIATE-AC/RJ and for the A-RELEASE-RP.
    public var associationTimeout: Duration
    /// Waiting for a DIMSE response.
    public var responseTimeout: Duration
    /// SCP/SCU role selection proposals (PS3.7 D.3.3.4), e.g. to send storage commitment reports as its SCP.
    public var roleSelections: [RoleSelection] = []

    public init(
        callingAETitle: String = "FLUOROBOX", calledAETitle: String, presentationContexts: [ProposedPresentationContext],
        maximumPDULength: Int = 262_144, connectTimeout: Duration = .seconds(10),
        associationTimeout: Duration = .seconds(30), responseTimeout: Duration = .seconds(120)
    ) {
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.presentationContexts = presentationContexts
        self.maximumPDULength = maximumPDULength
        self.connectTimeout = connectTimeout
        self.associationTimeout = associationTimeout
        self.responseTimeout = responseTimeout
    }
}

/// An association this side requested: C-ECHO and C-STORE as an SCU (and storage commitment
/// reports as the SOP class's SCP), then release or abort.
///
/// Open one with ``withAssociation(host:port:configuration:logger:_:)``; it is used by one
/// task inside that scope and holds the reader of the connection, so it is a class that is not
/// shared.
public final class SCUAssociation {
    public enum State {
        case established
        case released
        case aborted
    }

    /// Contexts the peer accepted, by ID.
    public let acceptedContexts: [UInt8: AcceptedContext]
    /// The peer's A-ASSOCIATE-AC.
    public let accept: AssociateAccept
    public private(set) var state = State.established
    private var inbound: NIOAsyncChannelInboundStream<PDU>.AsyncIterator
    private let sender: MessageSender
    private let channel: any Channel
    private var nextMessageID: UInt16 = 1

    private init(accept: AssociateAccept, proposed: [ProposedPresentationContext], inbound: NIOAsyncChannelInboundStream<PDU>.AsyncIterator, sender: MessageSender, channel: any Channel) {
        self.accept = accept
        var contexts: [UInt8: AcceptedContext] = [:]
        for result in accept.presentationContexts where result.result == .acceptance {
            guard let proposal = proposed.first(where: { $0.id == result.id }) else { continue }
            contexts[result.id] = AcceptedContext(id: result.id, abstractSyntax: proposal.abstractSyntax, transferSyntax: TransferSyntax(uid: result.transferSyntax))
        }
        acceptedContexts = contexts
        self.inbound = inbound
        self.sender = sender
        self.channel = channel
    }

    /// Connects, associates, runs `body`, then releases (or aborts, when `body` threw or left
    /// the association aborted).
    public static func withAssociation<Result: Sendable>(
        host: String, port: Int, configuration: RequestorConfiguration, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (SCUAssociation) async throws -> Result
    ) async throws -> Result {
        let limits = PDULimits(maximumDataPDULength: configuration.maximumPDULength)
        let channel: NIOAsyncChannel<PDU, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PDUDecoder(limits: limits)))
                        try channel.pipeline.syncOperations.addHandler(AssociationTimerHandler(
                            phase: .artim, artim: configuration.associationTimeout, idle: configuration.responseTimeout
                        ))
                        return try NIOAsyncChannel<PDU, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DICOMNetworkError(.connectionFailed, "\(host):\(port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            let request = AssociateRequest(
                calledAETitle: configuration.calledAETitle, callingAETitle: configuration.callingAETitle,
                presentationContexts: configuration.presentationContexts,
                userInformation: UserInformation(
                    maximumLength: UInt32(configuration.maximumPDULength),
                    implementationClassUID: Part10Writer.implementationClassUID,
                    implementationVersionName: Part10Writer.implementationVersionName,
                    roleSelections: configuration.roleSelections
                )
            )
            let opening = MessageSender(outbound: outbound, allocator: channel.channel.allocator, peerMaximumLength: 0)
            try await opening.send(.associateRequest(request))
            let answer: PDU?
            do {
                answer = try await iterator.next()
            } catch {
                throw Self.translate(error)
            }
            switch answer {
            case .associateAccept(let accept):
                let association = SCUAssociation(
                    accept: accept, proposed: configuration.presentationContexts, inbound: iterator,
                    sender: MessageSender(outbound: outbound, allocator: channel.channel.allocator, peerMaximumLength: accept.userInformation.maximumLength),
                    channel: channel.channel
                )
                try await channel.channel.triggerUserOutboundEvent(AssociationTimerHandler.Phase.idle).get()
                logger.debug("association accepted", metadata: ["peer": "\(host):\(port)", "contexts": "\(association.acceptedContexts.count)"])
                do {
                    let result = try await body(association)
                    if association.state == .established { try await association.release() }
                    return result
                } catch {
                    if association.state == .established { try? await association.abort() }
                    throw error
                }
            case .associateReject(let reject):
                throw DICOMNetworkError(.associationRejected, "\(host):\(port) (\(configuration.calledAETitle)): \(reject)")
            case .abort(let abort):
                throw DICOMNetworkError(.associationAborted, "\(host):\(port): \(abort)")
            case nil:
                throw DICOMNetworkError(.connectionClosed, "\(host):\(port) closed the connection instead of answering the association request")
            case let other?:
                try? await opening.send(.abort(AbortPDU(source: .serviceUser, reason: .unexpectedPDU)))
                throw DICOMNetworkError(.unexpectedPDU, "\(other.kind) in answer to A-ASSOCIATE-RQ")
            }
        }
    }

    /// C-ECHO on the Verification context.
    public func echo() async throws -> DIMSEStatus {
        guard let context = acceptedContexts.values.first(where: { $0.abstractSyntax == SOPClass.verification }) else {
            throw DICOMNetworkError(.noAcceptedContext, "the peer did not accept the Verification SOP class")
        }
        let request = DIMSECommand.echoRequest(messageID: takeMessageID())
        try await sender.send(request, contextID: context.id)
        return try await response(to: request).status ?? .processingFailure
    }

    /// C-STORE of a data set (the bytes after the file meta) on an accepted context; returns the response.
    /// A C-MOVE's sub-operation names the C-MOVE's originator (PS3.7 9.3.1.1).
    public func store(
        dataSet: ByteBuffer, sopClassUID: String, sopInstanceUID: String, contextID: UInt8,
        moveOriginator: (aeTitle: String, messageID: UInt16)? = nil
    ) async throws -> DIMSECommand {
        var request = DIMSECommand.storeRequest(messageID: takeMessageID(), sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID)
        request.moveOriginatorAETitle = moveOriginator?.aeTitle
        request.moveOriginatorMessageID = moveOriginator?.messageID
        try await sender.send(request, contextID: contextID)
        try await sender.send(dataSet, contextID: contextID, isCommand: false)
        return try await response(to: request)
    }

    /// N-EVENT-REPORT with a data set on an accepted context; returns the response.
    public func eventReport(dataSet: ByteBuffer, sopClassUID: String, sopInstanceUID: String, eventTypeID: UInt16, contextID: UInt8) async throws -> DIMSECommand {
        let request = DIMSECommand.eventReportRequest(messageID: takeMessageID(), sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, eventTypeID: eventTypeID)
        try await sender.send(request, contextID: contextID)
        try await sender.send(dataSet, contextID: contextID, isCommand: false)
        return try await response(to: request)
    }

    /// The accepted context for this SOP class and transfer syntax, if any.
    public func context(sopClassUID: String, transferSyntax: TransferSyntax) -> AcceptedContext? {
        acceptedContexts.values.sorted { $0.id < $1.id }.first { $0.abstractSyntax == sopClassUID && $0.transferSyntax == transferSyntax }
    }

    /// Sends A-RELEASE-RQ and waits for the answer.
    public func release() async throws {
        guard state == .established else { return }
        try await sender.send(.releaseRequest)
        try await channel.triggerUserOutboundEvent(AssociationTimerHandler.Phase.artim).get()
        while true {
            let pdu = try await nextPDU()
            switch pdu {
            case .releaseResponse:
                state = .released
                return
            case .abort(let abort):
                state = .aborted
                throw DICOMNetworkError(.associationAborted, "\(abort) during release")
            case nil:
                state = .aborted
                throw DICOMNetworkError(.connectionClosed, "connection closed during release")
            default:
                continue
            }
        }
    }

    /// Sends A-ABORT; the connection closes when the scope ends.
    public func abort() async throws {
        guard state == .established else { return }
        state = .aborted
        try await sender.send(.abort(AbortPDU(source: .serviceUser)))
    }

    /// The peer's next PDU (nil when the connection closed); a failed read aborts the association.
    private func nextPDU() async throws -> PDU? {
        do {
            return try await inbound.next()
        } catch {
            state = .aborted
            throw Self.translate(error)
        }
    }

    private func takeMessageID() -> UInt16 {
        defer { nextMessageID = nextMessageID &+ 1 == 0 ? 1 : nextMessageID &+ 1 }
        return nextMessageID
    }

    /// Reads PDUs until the response command to `request` is complete.
    private func response(to request: DIMSECommand) async throws -> DIMSECommand {
        var fragments = CommandFragments()
        while true {
            let pdu = try await nextPDU()
            switch pdu {
            case .data(let values):
                for value in values {
                    if let response = try fragments.add(value, waiting: "a response") {
                        guard response.messageIDBeingRespondedTo == request.messageID else {
                            throw DICOMNetworkError(.malformedCommand, "response to message \(response.messageIDBeingRespondedTo.map(String.init) ?? "?"), expected \(request.messageID ?? 0)")
                        }
                        return response
                    }
                }
            case .abort(let abort):
                state = .aborted
                throw DICOMNetworkError(.associationAborted, "\(abort)")
            case nil:
                state = .aborted
                throw DICOMNetworkError(.connectionClosed, "connection closed while waiting for a response")
            case let other?:
                state = .aborted
                try? await sender.send(.abort(AbortPDU(source: .serviceUser, reason: .unexpectedPDU)))
                throw DICOMNetworkError(.unexpectedPDU, "\(other.kind) while waiting for a response")
            }
        }
    }

    private static func translate(_ error: any Error) -> any Error {
        if error is DICOMNetworkError { return error }
        return DICOMNetworkError(.connectionClosed, "\(error)")
    }
}
