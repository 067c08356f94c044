/// Who is logged in: a technician runs the box, a doctor reads studies and records verdicts.
public enum PanelRole: String, Sendable, Hashable, Codable, CaseIterable {
    case technician
    case doctor
}
