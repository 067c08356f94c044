/// Whole-store figures of the worklist: studies that need a person (flagged, retake advised),
/// analyses that failed for good, and today's intake.
public struct WorklistCounters: Sendable, Hashable, Codable {
    public var flaggedStudies: Int
    public var retakeStudies: Int
    /// Images taken in today (the box's own overlays left out).
    public var capturesToday: Int
    /// Analyses that failed for good and nobody retried or dismissed yet.
    public var failedAnalyses: Int
    /// Changes when the worklist would change.
    public var version: String
}
