extension StudyStore {
    /// SQL that is true for a `result` row written by a demonstration model: its report's
    /// `model.use` is not `clinical`. A report that does not say is a demonstration model's, as
    /// a model package that does not say is one; so is a report that is not JSON.
    static let demonstrationResultSQL = """
        (CASE WHEN json_valid(result.report) THEN COALESCE(json_extract(result.report, '$.model.use'), '') != 'clinical' ELSE 1 END)
        """

    /// The same rule for a report already decoded as a JSON object.
    static func isDemonstrationReport(_ object: [String: Any]?) -> Bool {
        ((object?["model"] as? [String: Any])?["use"] as? String) != "clinical"
    }
}
