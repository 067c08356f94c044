import Foundation

/// One line of the panel's worklist: a study with what its analyses found.
public struct WorklistEntry: Sendable, Hashable, Codable {
    public var studyInstanceUID: String
    public var patientID: String?
    public var patientName: String?
    public var studyDate: String?
    public var modality: String?
    public var createdAt: Date
    public var instances: Int
    /// Some result of the study is flagged for review.
    public var flagged: Bool
    /// Some result advises a retake (quality verdict other than ok / acceptable).
    public var retakeAdvised: Bool
    /// Analyses by status, e.g. ["done": 1, "pending": 1].
    public var analyses: [String: Int]
    public var feedbackCount: Int
    /// Patient IDs that instances of this study named although the study belongs to another
    /// patient (``InstanceRecord/conflictingPatientID``), each once.
    public var conflictingPatientIDs: [String]
    /// Some result of the study is a demonstration model's: its findings mean nothing.
    public var demonstrationResults = false

    /// Flagged and retake studies are read first.
    public var needsAttention: Bool { flagged || retakeAdvised }
}

/// Everything the study view shows.
public struct StudyDetail: Sendable, Hashable, Codable {
    public struct Instance: Sendable, Hashable, Codable {
        public var id: Int64
        public var sopInstanceUID: String
        public var format: BlobFormat
        public var blobState: BlobState
        /// Absolute path of the blob.
        public var path: String
        public var source: IntakeSource
        public var receivedAt: Date
        /// The Patient ID this instance named when its study belonged to another patient.
        public var conflictingPatientID: String?
        public var analyses: [AnalysisRecord]
        public var results: [Result]
    }

    public struct Result: Sendable, Hashable, Codable {
        public var id: Int64
        public var analysisID: Int64
        public var flagged: Bool
        public var qualityVerdict: String?
        /// The report JSON as stored.
        public var report: String
        public var createdAt: Date
        /// The overlay's own instance (DICOM Secondary Capture), once the analysis service stores it.
        public var overlayInstanceID: Int64?
    }

    public var study: StudyRecord
    public var instances: [Instance]
    public var feedback: [FeedbackRecord]
}
