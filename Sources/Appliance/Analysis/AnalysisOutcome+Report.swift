import Analysis
import StudyStore

// The one place a report's words (schema 1: `analysed`, `acceptable`) become the store's
// vocabulary (`done`, `ok`); both sides are enums, so a new word cannot slip through untranslated.

extension AnalysisReport.Status {
    var analysisStatus: AnalysisStatus {
        switch self {
        case .analysed: .done
        case .skipped: .skipped
        }
    }
}

extension AnalysisReport.Quality.Verdict {
    var outcome: QualityOutcome {
        switch self {
        case .acceptable: .ok
        case .retake: .retake
        }
    }
}

extension AnalysisOutcome {
    /// What the store records of `report`, its JSON `text` and the overlay stored beside it.
    init(report: AnalysisReport, text: String, overlayInstanceID: Int64?) {
        self.init(
            status: report.status.analysisStatus, modelID: report.model.id, modelVersion: report.model.version,
            flagged: !report.flagged.isEmpty, qualityVerdict: report.quality.verdict.outcome,
            report: text, overlayInstanceID: overlayInstanceID
        )
    }
}
