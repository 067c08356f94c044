import Synchronization

/// Figures of one destination's sync since start: for tests, the benchmark and the log.
public final class SyncCounters: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var itemsDelivered = 0
        public var itemsRejected = 0
        public var failures = 0
        /// Request body bytes handed to the connection (including chunks lost to cuts).
        public var bodyBytesSent: Int64 = 0
        /// Bytes of instances delivered (their sizes).
        public var payloadBytesDelivered: Int64 = 0
        public var requests = 0
        /// Instances delivered re-encoded losslessly, and the bytes that saved.
        public var recodedUploads = 0
        public var uploadBytesSaved: Int64 = 0
        public var resumedUploads = 0
        /// Model package downloads continued from a partial file.
        public var resumedDownloads = 0
        public var probes = 0
        public var linkEvents = 0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}
