/// What one box of the fleet proof (`fleet-boxes`) sent and how its outbox ended, written by the
/// box's process and read by the test.
public struct FleetBoxReport: Sendable, Codable {
    public var device: String
    /// key → SHA-256 of what the hub must hold for this device.
    public var expected: SyncFixture.Expected
    /// Platform outbox rows by state when the process stopped.
    public var states: [String: Int]
    public var settled: Bool
    public var itemsDelivered: Int
    public var failures: Int
    public var requests: Int
    /// Uploads continued from an offset above 0 that the hub reported (HEAD or 409).
    public var resumedUploads: Int
    public var seconds: Double

    public init(
        device: String, expected: SyncFixture.Expected, states: [String: Int], settled: Bool,
        itemsDelivered: Int, failures: Int, requests: Int, resumedUploads: Int, seconds: Double
    ) {
        self.device = device
        self.expected = expected
        self.states = states
        self.settled = settled
        self.itemsDelivered = itemsDelivered
        self.failures = failures
        self.requests = requests
        self.resumedUploads = resumedUploads
        self.seconds = seconds
    }
}
