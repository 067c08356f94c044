/// What an operator of the console may do: a viewer looks, an operator also makes enrolment
/// tokens and revokes devices, an admin also manages the operators' accounts.
public enum OperatorRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case viewer
    case `operator`
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: OperatorRole, rhs: OperatorRole) -> Bool { lhs.rank < rhs.rank }

    /// Tokens and revocation.
    public var changesDevices: Bool { self >= .operator }
    /// Accounts and roles.
    public var managesOperators: Bool { self == .admin }
}
