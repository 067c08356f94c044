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
/// association that only ``DIMSEProgress`` restarts. When one runs out the association is
/// aborted (if established) and closed, and the reader sees a
/// ``DICOMNetworkError/Code/timeout`` error.
final class AssociationTimerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = PDU
    typealias InboundOut = PDU
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline by the association to switch timers.
    enum Phase: Sendable {
        /// Waiting for the association request, or for the peer to close.
        case artim
        /// Established: going longer than the idle limit without progress aborts.
        case idle
    }

    private var phase: Phase
    /// True from the start until the opening A-ASSOCIATE PDU arrives or the association picks
    /// a phase: only then does an arriving PDU stop ARTIM by itself.
    private var awaitingOpening = true
    private let artim: TimeAmount
    private let idle: TimeAmount
    private var deadline: Scheduled<Void>?
    private var progress = DIMSEProgress()

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
            // Counted here, on the event loop as the bytes arrive, not when the association task
            // gets round to them: a slow disk behind a full inbound buffer is the box's delay,
            // not the peer's.
            if progress.advances(with: unwrapInboundIn(data)) { restart(context: context) }
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

    /// The box's own answer restarts the idle timer too: it ends the box's turn (storing may take
    /// a while), and each answers a request that was itself progress, so a peer cannot earn
    /// restarts this way without making progress.
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
        progress = DIMSEProgress()
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

/// What counts as progress for the idle timer on an established association.
///
/// Not every PDU: a peer sending a one-byte P-DATA fragment (or an empty one) every minute would
/// otherwise hold its association, and with it a slot and the intake's temp file, for ever.
/// Progress is, since the timer last restarted, either
/// - a presentation data value that ends a DIMSE command or data set (its last fragment): a
///   message the box then answers or a protocol error that ends the association, or
/// - at least ``bytesPerPeriod`` bytes of presentation data values, so an instance arriving
///   at any real rate keeps its association.
/// Anything else (other PDUs, fewer bytes, bytes of a PDU that has not arrived whole) is not.
/// A PDU whose header announced more than has arrived is not seen here at all, so a peer that
/// trickles one PDU, or a half-open socket that sends nothing, is closed by the idle timer.
struct DIMSEProgress {
    /// 64 KiB per idle period (120 s by default) is about 0.5 KB/s: far below any real sender,
    /// well above a trickle meant to hold a slot.
    static let bytesPerPeriod = 64 * 1024

    private var bytes = 0

    /// Counts `pdu`; true when progress has been made since this value was made.
    mutating func advances(with pdu: PDU) -> Bool {
        guard case .data(let values) = pdu else { return false }
        var endsMessagePart = false
        for value in values {
            bytes += value.data.readableBytes
            endsMessagePart = endsMessagePart || value.isLastFragment
        }
        return endsMessagePart || bytes >= Self.bytesPerPeriod
    }
}
