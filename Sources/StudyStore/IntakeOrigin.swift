/// Where an intake came from: the source kind and, for people reading the log, a detail.
public struct IntakeOrigin: Sendable, Hashable {
    public var source: IntakeSource
    /// A file path, a calling AE title and address, a device name.
    public var detail: String?
    /// Analyses to queue for the new instance in the same transaction, e.g. ["quality"].
    public var analyses: [String]

    public init(source: IntakeSource, detail: String? = nil, analyses: [String] = []) {
        self.source = source
        self.detail = detail
        self.analyses = analyses
    }
}
