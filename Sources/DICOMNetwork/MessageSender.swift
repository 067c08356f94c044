import NIOCore

/// Sends DIMSE messages as P-DATA-TF PDUs no longer than the peer accepts. Data slices are
/// sent as they are, each after its own 12-byte header: nothing is copied.
struct MessageSender {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    let allocator: ByteBufferAllocator
    /// Largest data per PDV: the peer's maximum length less the 6-byte PDV item header.
    let fragmentLength: Int

    /// When the peer sets no limit (0), fragments are still bounded so one write stays modest.
    static let unlimitedFragmentLength = 1 << 20

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, peerMaximumLength: UInt32) {
        self.outbound = outbound
        self.channel = channel
        self.allocator = channel.allocator
        if peerMaximumLength == 0 {
            fragmentLength = Self.unlimitedFragmentLength
        } else {
            fragmentLength = max(1, min(Int(peerMaximumLength), Self.unlimitedFragmentLength) - 6)
        }
    }

    func send(_ pdu: PDU) async throws {
        try await outbound.write(pdu.encoded(allocator: allocator))
    }

    /// Sends a command set or a data set on `contextID`, fragmented by the peer's limit.
    func send(_ payload: ByteBuffer, contextID: UInt8, isCommand: Bool) async throws {
        var remaining = payload
        var buffers: [ByteBuffer] = []
        let pieces = max(1, (remaining.readableBytes + fragmentLength - 1) / fragmentLength)
        buffers.reserveCapacity(pieces * 2)
        var headers = allocator.buffer(capacity: pieces * 12)
        repeat {
            let count = min(fragmentLength, remaining.readableBytes)
            let slice = remaining.readSlice(length: count)!
            let start = headers.writerIndex
            PDU.writeDataHeader(
                into: &headers, contextID: contextID, isCommand: isCommand,
                isLast: remaining.readableBytes == 0, dataLength: count
            )
            buffers.append(headers.getSlice(at: start, length: 12)!)
            if count > 0 { buffers.append(slice) }
        } while remaining.readableBytes > 0
        try await outbound.write(contentsOf: buffers)
    }

    func send(_ command: DIMSECommand, contextID: UInt8) async throws {
        try await send(command.encoded(), contextID: contextID, isCommand: true)
    }

    /// Returns once everything sent before it is in the kernel's hands. A sender of many small
    /// messages (C-FIND matches) waits here now and then: the writer learns that the socket is
    /// full only after the event loop has run the writes, and a producer that never waits keeps
    /// that loop running queued writes instead of reading. Without it 20,000 matches were
    /// queued (7 MB) before the peer's C-CANCEL was read, and other associations on the same
    /// loop waited as long.
    func flushed() async throws {
        try await channel.writeAndFlush(allocator.buffer(capacity: 0)).get()
    }
}
