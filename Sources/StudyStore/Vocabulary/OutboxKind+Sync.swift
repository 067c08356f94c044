extension OutboxKind {
    /// A daily post-market report of one model version (self-contained document).
    public static let report = OutboxKind(rawValue: "report")
    /// What became of a model update the platform offered (activated or refused, and why).
    public static let modelUpdate = OutboxKind(rawValue: "model-update")
    /// What became of an OS bundle the platform assigned (installed, refused, failed, marked
    /// good after its first boot, or fell back to the old slot).
    public static let osUpdate = OutboxKind(rawValue: "os-update")
    /// An adverse-event report (post-market vigilance), queued by `fluorobox sync adverse-event`.
    public static let adverseEvent = OutboxKind(rawValue: "adverse-event")
}

extension OutboxKind {
    /// A shadow package's daily agreement with the active one, per finding (a report: never a result).
    public static let shadowAgreement = OutboxKind(rawValue: "shadow-agreement")
}
