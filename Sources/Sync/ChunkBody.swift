import NIOCore

/// One upload chunk as a request body: slices of at most 64 KiB, each let through the
/// bandwidth limiter and counted when handed to the connection.
struct ChunkBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let bytes: [UInt8]
    let limiter: BandwidthLimiter?
    let counters: SyncCounters
    static let sliceBytes = 64 * 1024

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: ChunkBody
        var position = 0

        mutating func next() async throws -> ByteBuffer? {
            guard position < body.bytes.count else { return nil }
            let end = Swift.min(body.bytes.count, position + ChunkBody.sliceBytes)
            if let limiter = body.limiter { try await limiter.take(end - position) }
            let buffer = ByteBuffer(bytes: body.bytes[position..<end])
            body.counters.update { $0.bodyBytesSent += Int64(end - position) }
            position = end
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
