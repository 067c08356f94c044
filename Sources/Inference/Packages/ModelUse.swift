/// What a model package may be used for, as its signed manifest states it.
public enum ModelUse: String, Codable, Sendable, Hashable, CaseIterable {
    /// Shows how the box works (trained on phantoms, say): its findings on real radiographs mean
    /// nothing. Only a box that trusts the demo key (a development or demo build) activates one.
    case demonstration
    /// Meant to assist a clinician as its intended use says.
    case clinical
}
