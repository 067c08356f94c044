import NIOCore

/// Turns the byte stream into PDUs, enforcing ``PDULimits`` as soon as a header arrives.
struct PDUDecoder: ByteToMessageDecoder {
    typealias InboundOut = PDU

    let limits: PDULimits

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let pdu = try PDUParser.parse(&buffer, limits: limits) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(pdu))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial PDU left when the peer closes is dropped: there is nobody left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// The upper layer's timers (PS3.8 section 9.1.5): ARTIM while waiting for an A-ASSOCIATE-RQ
/// or for the peer to close after a release or rejection, and an idle limit on an established
/// association. When one runs out the association is aborted (if established) and closed, and
/// the reader sees a ``DICOMNetworkError/Code/timeout`` error.
final class AssociationTimerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = PDU
    typealias InboundOut = PDU
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline by the association to switch timers.
    enum Phase: Sendable {
        /// Waiting for the association request, or for the peer to close.
        case artim
        /// Established: any silence longer than the idle limit aborts.
        case idle
    }

    private var phase: Phase
    /// True from the start until the opening A-ASSOCIATE PDU arrives or the association picks
    /// a phase: only then does an arriving PDU stop ARTIM by itself.
    private var awaitingOpening = true
    private let artim: TimeAmount
    private let idle: TimeAmount
    private var deadline: Scheduled<Void>?

    init(phase: Phase, artim: Duration, idle: Duration) {
        self.phase = phase
        self.artim = TimeAmount(artim)
        self.idle = TimeAmount(idle)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { restart(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        restart(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .idle:
            restart(context: context)
        case .artim where awaitingOpening && Self.opensAssociation(unwrapInboundIn(data)):
            // PS3.8 9.1.5: ARTIM stops when the awaited A-ASSOCIATE PDU arrives. Stopping it here,
            // on the event loop, and not when the association task gets round to the PDU, keeps
            // a busy task pool from timing out a peer that answered in time. The association
            // starts the next timer once it has answered.
            awaitingOpening = false
            deadline?.cancel()
            deadline = nil
        case .artim:
            // Waiting for the peer to close: nothing it sends stops the timer.
            break
        }
        context.fireChannelRead(data)
    }

    private static func opensAssociation(_ pdu: PDU) -> Bool {
        switch pdu {
        case .associateRequest, .associateAccept, .associateReject: true
        default: false
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if phase == .idle { restart(context: context) }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let phase = event as? Phase {
            self.phase = phase
            awaitingOpening = false
            restart(context: context)
            promise?.succeed(())
            return
        }
        context.triggerUserOutboundEvent(event, promise: promise)
    }

    private func restart(context: ChannelHandlerContext) {
        deadline?.cancel()
        let phase = self.phase
        let amount = phase == .artim ? artim : idle
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: amount) {
            let (handler, context) = loopBound.value
            handler.expire(context: context, phase: phase, after: amount)
        }
    }

    private func expire(context: ChannelHandlerContext, phase: Phase, after amount: TimeAmount) {
        let seconds = Double(amount.nanoseconds) / 1e9
        let error = DICOMNetworkError(
            .timeout,
            phase == .artim ? "no A-ASSOCIATE-RQ, or no close after release, within \(seconds) s (ARTIM)" : "association idle for \(seconds) s"
        )
        context.fireErrorCaught(error)
        if phase == .idle {
            let abort = PDU.abort(AbortPDU(source: .serviceProvider)).encoded(allocator: context.channel.allocator)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(abort)).whenComplete { _ in loopBound.value.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
