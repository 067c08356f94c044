import Foundation
import GRDB

/// One row of `shadowRun`: a shadow package's reading of an image the task's active package
/// read (migration v11-shadow-runs). Never a `result`: the panel, the worklist and the outbox
/// do not read this table.
public struct ShadowRunRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "shadowRun"

    /// One finding as both models saw it.
    public struct Finding: Codable, Sendable, Hashable {
        public var id: String
        public var probability: Double
        public var threshold: Double
        public var flagged: Bool
        /// The active model's flag and probability for the same finding; nil when the active
        /// model does not report it (counted as not flagged by it).
        public var activeFlagged: Bool?
        public var activeProbability: Double?

        public init(id: String, probability: Double, threshold: Double, flagged: Bool, activeFlagged: Bool?, activeProbability: Double?) {
            self.id = id
            self.probability = probability
            self.threshold = threshold
            self.flagged = flagged
            self.activeFlagged = activeFlagged
            self.activeProbability = activeProbability
        }
    }

    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        case done
        case failed
    }

    public var id: Int64?
    /// The active analysis whose image the shadow read.
    public var analysisID: Int64
    public var instanceID: Int64
    public var task: String
    public var activeModelID: String
    public var activeModelVersion: String
    public var shadowModelID: String
    public var shadowModelVersion: String
    public var shadowPackageSHA256: String
    public var status: Status
    /// Any finding the shadow flagged (nil when it failed).
    public var flagged: Bool?
    /// JSON array of ``Finding`` (nil when it failed).
    public var findings: String?
    /// Wall time of the shadow's run, worker process included.
    public var milliseconds: Double?
    public var error: String?
    public var ranAt: Date

    public init(
        analysisID: Int64, instanceID: Int64, task: String, activeModelID: String, activeModelVersion: String, shadowModelID: String,
        shadowModelVersion: String, shadowPackageSHA256: String, status: Status, flagged: Bool?, findings: String?,
        milliseconds: Double?, error: String?, ranAt: Date
    ) {
        self.analysisID = analysisID
        self.instanceID = instanceID
        self.task = task
        self.activeModelID = activeModelID
        self.activeModelVersion = activeModelVersion
        self.shadowModelID = shadowModelID
        self.shadowModelVersion = shadowModelVersion
        self.shadowPackageSHA256 = shadowPackageSHA256
        self.status = status
        self.flagged = flagged
        self.findings = findings
        self.milliseconds = milliseconds
        self.error = error
        self.ranAt = ranAt
    }

    /// The findings as recorded (empty for a failed run).
    public var decodedFindings: [Finding] {
        guard let findings else { return [] }
        return (try? JSONDecoder().decode([Finding].self, from: Data(findings.utf8))) ?? []
    }

    public enum Columns {
        public static let analysisID = Column(CodingKeys.analysisID)
        public static let instanceID = Column(CodingKeys.instanceID)
        public static let ranAt = Column(CodingKeys.ranAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
