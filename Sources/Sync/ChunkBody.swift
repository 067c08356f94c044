import NIOCore
import POSIXSupport

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
            // The crash test kills the agent here: three slices of the chunk are on their way.
            if position == 3 * ChunkBody.sliceBytes, CrashPoint.isArmed("sync-mid-chunk") {
                // Let the slices already handed over reach the hub, so the cut is mid-body.
                try await Task.sleep(for: .milliseconds(100))
                CrashPoint.reached("sync-mid-chunk")
            }
            position = end
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
