import Foundation
import Inference
import POSIXSupport

/// The structured report of one analysed image (JSON, `schemaVersion` 1). A second reader's
/// notes: findings are "flagged for review", never a diagnosis.
public struct AnalysisReport: Codable, Sendable, Hashable {
    public static let schemaVersion = 1
    public static let notice = "A second reader: findings are flagged for review by a doctor; this is not a diagnosis."
    /// Said with every result of a demonstration model, before ``notice``.
    public static let demonstrationNotice = "Demonstration model: its findings on real radiographs mean nothing; not for clinical use."

    public struct Source: Codable, Sendable, Hashable {
        public var file: String?
        public var sha256: String
        public var studyInstanceUID: String?
        public var sopInstanceUID: String?
        public var width: Int
        public var height: Int
    }

    public struct Model: Codable, Sendable, Hashable {
        public var id: String
        public var version: String
        public var packageSHA256: String
        public var modelSHA256: String
        public var intendedUse: String
        /// The package's medical-device registration certificate (number and YYYY-MM-DD date), as
        /// its signed manifest states them; absent for a model without one (the demo).
        public var registrationNumber: String?
        public var registrationDate: String?
        /// What the package's manifest says it may be used for. Absent in reports written before
        /// the box recorded it, which ``AnalysisReport/modelUse`` reads as a demonstration, as a
        /// manifest without it is one.
        public var use: ModelUse?
    }

    public struct Quality: Codable, Sendable, Hashable {
        public struct Problem: Codable, Sendable, Hashable {
            public var code: String
            public var message: String
            public var messageRU: String
            public var advice: String
            public var adviceRU: String
        }
        /// The report's words for the quality verdict: `acceptable` (the store's `ok`) or `retake`.
        public enum Verdict: String, Codable, Sendable, Hashable {
            case acceptable
            case retake

            /// Reads `ok` as `acceptable`, as the panel always has; any other word asks for a retake.
            public init(from decoder: any Decoder) throws {
                let word = try decoder.singleValueContainer().decode(String.self)
                self = word == Self.acceptable.rawValue || word == "ok" ? .acceptable : .retake
            }
        }

        public var verdict: Verdict
        public var problems: [Problem]
        public var measurements: QualityVerdict.Measurements
    }

    public struct Finding: Codable, Sendable, Hashable {
        public var id: String
        public var display: String
        public var probability: Double
        public var threshold: Double
        public var flaggedForReview: Bool
        /// Where the heat map peaks, as fractions of the image width and height.
        public var peak: [Double]?
        /// The model's use again, beside each finding, so no finding of a demonstration model is
        /// read (or copied out of the report) without it.
        public var modelUse: ModelUse?
        /// `display` in other languages, from the package's manifest (absent when it has none).
        public var localizedDisplay: [String: String]? = nil

        /// The finding's name in `language` (an ISO 639 code), or `display` when the package
        /// gives none in it.
        public func display(in language: String) -> String {
            localizedDisplay?[language] ?? display
        }
    }

    public struct Timings: Codable, Sendable, Hashable {
        public var decodeMilliseconds: Double
        public var qualityMilliseconds: Double
        public var preprocessMilliseconds: Double
        public var inferenceMilliseconds: Double
        public var overlayMilliseconds: Double
        public var totalMilliseconds: Double
    }

    public var schemaVersion = AnalysisReport.schemaVersion
    public var generatedAt: Date
    public var source: Source
    public var model: Model
    public var quality: Quality
    /// The report's words for what became of the image (the store's `done` and `skipped`).
    public enum Status: String, Codable, Sendable, Hashable {
        case analysed
        /// The image was not readable; then `findings` is empty.
        case skipped
    }

    public var status: Status
    public var findings: [Finding]
    public var summary: String
    public var notice = AnalysisReport.notice
    public var timings: Timings

    public var flagged: [Finding] { findings.filter(\.flaggedForReview) }

    /// What the model that wrote this report may be used for; a report that does not say is a
    /// demonstration model's.
    public var modelUse: ModelUse { model.use ?? .demonstration }

    /// Its findings mean nothing on real radiographs: every view of it says so.
    public var isDemonstration: Bool { modelUse == .demonstration }

    public func json() throws -> Data {
        try JSONEncoder.indented().encode(self)
    }
}
