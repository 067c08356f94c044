/// How the agent reads the images it takes in (`analysis.*` keys).
public struct AnalysisSettings: Sendable, Hashable {
    /// Queue an analysis for every image taken in and run them in the background.
    public var enabled = true
    /// The task whose active model package reads the images.
    public var task = "chest-findings"
    /// Threads the model runs on (the board has two cores; intake and the listener share them).
    public var threads = 2
    /// Store the overlay as a DICOM Secondary Capture, queued for the destinations with the images.
    public var secondaryCapture = true
    /// Seconds between looks for new work when the queue is empty or no model is active.
    public var pollSeconds: Double = 1

    public init() {}
}
