import POSIXSupport

/// A token bucket: keeps sync under `bytesPerSecond` so a clinic's thin link stays usable.
public actor BandwidthLimiter {
    public let bytesPerSecond: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    /// `bytesPerSecond` 0 means no cap.
    public init(bytesPerSecond: Double) {
        self.bytesPerSecond = bytesPerSecond
        self.tokens = bytesPerSecond
        self.last = .now
    }

    /// Waits until `bytes` may go on the wire.
    public func take(_ bytes: Int) async throws {
        guard bytesPerSecond > 0 else { return }
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = elapsed.inSeconds
        // At most one second of burst.
        tokens = min(bytesPerSecond, tokens + seconds * bytesPerSecond)
        tokens -= Double(bytes)
        if tokens < 0 {
            try await Task.sleep(for: .seconds(-tokens / bytesPerSecond))
        }
    }
}
