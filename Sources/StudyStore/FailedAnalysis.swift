import Foundation

/// An analysis that failed for good, as a technician sees it.
public struct FailedAnalysis: Sendable, Hashable, Codable {
    public var id: Int64
    public var task: String
    public var attempts: Int
    public var reason: String
    public var failedAt: Date?
    public var sopInstanceUID: String
    public var studyInstanceUID: String
}
