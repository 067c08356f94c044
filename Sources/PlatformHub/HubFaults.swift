import Synchronization

/// Faults the hub injects on purpose, for the sync tests: a share of requests answered 503
/// before anything is stored. Off unless `fluorobox-hub serve --fail-rate` is given.
public final class HubFaults: Sendable {
    public let failRate: Double
    private let state: Mutex<UInt64>

    public init(failRate: Double = 0, seed: UInt64 = 1) {
        self.failRate = failRate
        self.state = Mutex(seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed)
    }

    /// True when this request should fail with 503 (SplitMix64, so a seed repeats a run).
    public func shouldFail() -> Bool {
        guard failRate > 0 else { return false }
        let value = state.withLock { state -> UInt64 in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(value >> 11) / Double(1 << 53) < failRate
    }
}
