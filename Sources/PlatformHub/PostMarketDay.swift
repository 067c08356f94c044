import Foundation

/// One device's daily post-market report for one model version, as the hub reads it: the one
/// reading the regulator report and the console's figures share (the fields the box sends are
/// the PostMarketReport schema of docs/platform-api.yaml).
struct PostMarketDay: Decodable, Sendable {
    var model: String
    var version: String
    var day: String
    var processed: Int
    var flagged: Int
    var retakesAdvised: Int
    var doctorAgree: Int
    var doctorDisagree: Int
    var doctorMissed: Int?
    var latencyP50ms: Double
    var latencyP95ms: Double
    var errors: Int
    var demonstrationResultsLeftOut: Int?
    var modelUse: String?
    var registrationNumber: String?
    var registrationDate: String?
    var intendedUse: String?

    /// A day whose results were all a demonstration model's: never a registered product's figures.
    var isDemonstration: Bool { modelUse == "demonstration" }

    /// The report's figures when they fall in `from`…`to`. A report the hub accepted always
    /// decodes (the document schema checked it); one that does not is skipped rather than
    /// failing a region's figures.
    static func read(_ report: RegulatorReport.DailyReport, from: String, to: String, decoder: JSONDecoder) -> PostMarketDay? {
        guard let figures = try? decoder.decode(PostMarketDay.self, from: Data(report.body)), figures.day >= from, figures.day <= to else {
            return nil
        }
        return figures
    }

    /// Counts come from boxes: a lying one must not trap a total by overflow.
    static func add(_ total: inout Int, _ count: Int) {
        let (sum, overflow) = total.addingReportingOverflow(max(0, count))
        total = overflow ? .max : sum
    }
}
