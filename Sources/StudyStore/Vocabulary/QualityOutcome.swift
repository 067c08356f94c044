/// The quality verdict on one instance (DESIGN.md vocabulary): `ok`, or `retake` with the
/// reasons in the report. Its raw value is what `result.qualityVerdict` stores.
public enum QualityOutcome: String, Sendable, Codable, CaseIterable {
    case ok
    case retake

    /// `('ok', 'acceptable')`, for `qualityVerdict NOT IN …`: rows written before the box
    /// stored `ok` hold the report's word `acceptable`, which asks for no retake either.
    static let acceptableSQL = "('\(QualityOutcome.ok.rawValue)', 'acceptable')"

    /// Whether a stored verdict asks for a retake: the Swift twin of ``acceptableSQL``.
    static func asksForRetake(stored verdict: String) -> Bool {
        verdict != QualityOutcome.ok.rawValue && verdict != "acceptable"
    }
}
