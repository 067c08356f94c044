import Foundation

/// A study and its instances, as `fluorobox studies` and the panel show them.
public struct StudyListing: Sendable, Hashable, Codable {
    public var studyInstanceUID: String
    public var uidGenerated: Bool
    public var patientID: String?
    public var patientName: String?
    public var studyDate: String?
    public var modality: String?
    public var studyDescription: String?
    public var createdAt: Date
    public var instances: [InstanceListing]
}

/// One instance with where its bytes are and how far delivery got.
public struct InstanceListing: Sendable, Hashable, Codable {
    public var sopInstanceUID: String
    public var uidGenerated: Bool
    public var sha256: String
    public var size: Int64
    public var format: BlobFormat
    public var source: IntakeSource
    public var sourceDetail: String?
    public var blobState: BlobState
    public var uidConflict: Bool
    /// The Patient ID this instance carried when its study belonged to another patient.
    public var conflictingPatientID: String?
    public var receivedAt: Date
    /// Summary over destinations: `not-queued`, `queued`, `sending`, `sent` or `rejected`.
    public var syncState: String
    /// State per destination, e.g. ["platform": "queued"].
    public var destinations: [String: String]
    /// The newest analysis of this instance, if one was queued.
    public var analysis: AnalysisListing?
    /// The newest analysis of each task queued for this instance, by task.
    public var analyses: [AnalysisListing]

    /// Combines per-destination states: a rejection shows first, then work not yet done.
    static func summarise(_ states: [OutboxState]) -> String {
        if states.isEmpty { return "not-queued" }
        if states.contains(.rejected) { return OutboxState.rejected.rawValue }
        if states.allSatisfy({ $0 == .sent }) { return OutboxState.sent.rawValue }
        if states.contains(.sending) { return OutboxState.sending.rawValue }
        return OutboxState.queued.rawValue
    }
}

/// The newest analysis of an instance as the listing shows it.
public struct AnalysisListing: Sendable, Hashable, Codable {
    public var task: String
    public var status: AnalysisStatus
    public var model: String?
    public var flagged: Bool?
    /// "ok" or "retake".
    public var qualityVerdict: String?
    /// The report's one-line summary ("Flagged for review: …" or "Nothing flagged …").
    public var summary: String?
    public var error: String?
    /// Runs started, including ones a crash ended.
    public var attempts: Int
    /// Set when a technician dismissed this failed analysis.
    public var dismissedAt: Date?
    /// True when the result is a demonstration model's (its findings on real radiographs mean
    /// nothing); nil without a result.
    public var demonstrationModel: Bool?
}
