/// What one device delivered to the hub on one day (UTC, by the time the hub received it):
/// images, and results split by the use of the model that made them. A result without a
/// clinical model's mark is a demonstration model's (older boxes did not mark them), and never
/// counts as a clinical result.
public struct DailyIntake: Sendable, Hashable {
    /// YYYY-MM-DD.
    public var day: String
    public var device: String
    /// Instances (images) completely received.
    public var instances: Int
    /// Results of clinical models.
    public var results: Int
    /// Of those, results with a finding flagged for review.
    public var flaggedResults: Int
    /// Results of demonstration models: kept apart from the clinical figures.
    public var demonstrationResults: Int

    public init(day: String, device: String, instances: Int, results: Int, flaggedResults: Int, demonstrationResults: Int) {
        self.day = day
        self.device = device
        self.instances = instances
        self.results = results
        self.flaggedResults = flaggedResults
        self.demonstrationResults = demonstrationResults
    }
}
