import Analysis

/// How the agent reads the images it takes in (`analysis.*` keys).
public struct AnalysisSettings: Sendable, Hashable {
    /// Queue an analysis for every image taken in and run them in the background.
    public var enabled = true
    /// The task queued for every image taken in, in the same transaction; its images wait
    /// while it has no active package.
    public var task = "chest-findings"
    /// Every other task with an active package also reads the images taken in after its
    /// package was activated (older images are not queued for it).
    public var everyActiveTask = true
    /// Threads the model runs on (the board has two cores; intake and the listener share them).
    public var threads = 2
    /// Store the overlay as a DICOM Secondary Capture, queued for the destinations with the images.
    public var secondaryCapture = true
    /// Store the report as a DICOM Structured Report (TID 1500), queued for the destinations
    /// with the images.
    public var structuredReport = true
    /// Store the flagged regions as a DICOM Grayscale Softcopy Presentation State over the
    /// image, queued for the destinations with the images.
    public var presentationState = true
    /// The language of the overlay's burned-in legend: the box's (`language`).
    public var legendLanguage: LegendLanguage = .en
    /// The font file the legend is drawn in; when it cannot be used the overlay is still made,
    /// its legend in built-in Latin capitals, in English.
    public var overlayFontPath = LegendFont.defaultPath
    /// The observer the Structured Report names: the device ID (`sync.deviceID`).
    public var deviceName = "fluorobox"
    /// Seconds between looks for new work when the queue is empty or no model is active.
    public var pollSeconds: Double = 1
    /// Runs an analysis may start before it fails for good (a run a crash ended counts).
    public var maxAttempts = 3
    /// Where images are decoded and analysed: a child process per image by default.
    public var isolation: AnalysisIsolation = .childProcess(executable: nil)
    /// The worker process's heap cap; an image that needs more fails that analysis only.
    public var workerMemoryLimitBytes: UInt64 = 2048 << 20
    /// Seconds a worker may take for one image before it is stopped (the attempt counts).
    public var workerTimeoutSeconds: Double = 300

    public init() {}
}
