extension OutboxKind {
    /// A daily post-market report of one model version (self-contained document).
    public static let report = OutboxKind(rawValue: "report")
    /// What became of a model update the platform offered (activated or refused, and why).
    public static let modelUpdate = OutboxKind(rawValue: "model-update")
    /// An adverse-event report (post-market vigilance), queued by `fluorobox sync adverse-event`.
    public static let adverseEvent = OutboxKind(rawValue: "adverse-event")
}
