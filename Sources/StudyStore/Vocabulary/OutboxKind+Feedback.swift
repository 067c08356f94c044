extension OutboxKind {
    /// A doctor's verdict on a result, for the platform's post-market figures.
    public static let feedback = OutboxKind(rawValue: "feedback")
}
