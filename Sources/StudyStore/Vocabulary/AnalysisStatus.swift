import GRDB

/// The state of one analysis (a model or the quality check run on one instance).
public enum AnalysisStatus: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case pending
    case running
    case done
    case failed
    case skipped
}
