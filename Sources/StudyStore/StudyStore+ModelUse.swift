extension StudyStore {
    /// SQL that is true for a `result` row written by a demonstration model: its report's
    /// `model.use` is not `clinical`. A report that does not say is a demonstration model's, as
    /// a model package that does not say is one; so is a report that is not JSON.
    static let demonstrationResultSQL = """
        (CASE WHEN json_valid(result.report) THEN COALESCE(json_extract(result.report, '$.model.use'), '') != 'clinical' ELSE 1 END)
        """

    /// SQL for one text field of a `result` row's report (`path` as `model.use`), NULL when the
    /// report is not JSON or lacks it.
    static func reportField(_ path: String) -> String {
        "(CASE WHEN json_valid(result.report) THEN json_extract(result.report, '$.\(path)') END)"
    }

    /// The same rule for a report already decoded as a JSON object.
    static func isDemonstrationReport(_ object: [String: Any]?) -> Bool {
        ((object?["model"] as? [String: Any])?["use"] as? String) != "clinical"
    }
}
