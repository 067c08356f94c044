import NIOCore
import Synchronization

/// Notices C-CANCEL requests as PDUs arrive, before the association's task reads them: that task
/// is busy sending C-FIND matches or C-MOVE sub-operations and looks here between two of them.
final class CancelWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = PDU
    typealias InboundOut = PDU

    /// Message IDs the peer asked to cancel (Message ID Being Responded To of each C-CANCEL-RQ).
    private let cancelled = Mutex<Set<UInt16>>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .data(let values) = unwrapInboundIn(data) {
            // A C-CANCEL is a few dozen bytes: one command fragment, never split.
            for value in values where value.isCommand && value.isLastFragment && value.data.readableBytes < 256 {
                if let command = try? DIMSECommand(decoding: value.data), command.kind == .cancelRequest,
                   let id = command.messageIDBeingRespondedTo {
                    cancelled.withLock { _ = $0.insert(id) }
                }
            }
        }
        context.fireChannelRead(data)
    }

    /// Whether the peer cancelled the request with this message ID; forgets it once asked and true.
    func takeCancel(of messageID: UInt16) -> Bool {
        cancelled.withLock { $0.remove(messageID) != nil }
    }

    /// Forgets a cancel that came too late for its request.
    func forget(_ messageID: UInt16) {
        cancelled.withLock { _ = $0.remove(messageID) }
    }
}
