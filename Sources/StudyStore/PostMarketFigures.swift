import Foundation

/// One model version's figures for one UTC day, counted from the store (the platform's
/// PostMarketReport, docs/platform-api.yaml).
public struct PostMarketFigures: Codable, Sendable, Hashable {
    public var device: String
    public var model: String
    public var version: String
    /// YYYY-MM-DD (UTC).
    public var day: String
    /// Analyses finished (done, or skipped by the quality check).
    public var processed: Int
    public var flagged: Int
    /// Quality verdicts other than "ok" (retake advised).
    public var retakesAdvised: Int
    public var doctorAgree: Int
    public var doctorDisagree: Int
    /// Doctor verdicts that the model missed a finding.
    public var doctorMissed: Int
    public var latencyP50ms: Double
    public var latencyP95ms: Double
    /// Analyses that failed for good.
    public var errors: Int
    /// Results of a demonstration model, left out of every figure above (their findings on
    /// real radiographs mean nothing); counted so the report says how many.
    public var demonstrationResultsLeftOut = 0
    /// `clinical` when the day counted any of the version's results (a clinical model's), else
    /// `demonstration` when it had only a demonstration model's; with the registration and
    /// intended use the newest clinical result carried from the signed manifest, for the
    /// regulator report. Absent on a day without results, and in older boxes' reports.
    public var modelUse: String?
    public var registrationNumber: String?
    public var registrationDate: String?
    public var intendedUse: String?

    /// The outbox key: the same report for the same device, model version and day, always.
    public var idempotencyKey: String {
        "report:\(device):\(model):\(version):\(day)"
    }
}
