/// Which of the listener's connections hold which slots.
///
/// A TCP accept costs an attacker nothing, so it only takes a pending slot: the pending bound is
/// larger than the association bound, and ARTIM closes a pending connection that does not ask
/// for an association in time. Only a negotiated association takes an association slot. Both
/// kinds are also counted per peer IP address, so one host cannot take every slot and keep the
/// modality out.
struct ConnectionAdmission {
    struct Limits: Sendable, Hashable {
        var maximumAssociations: Int
        var maximumPendingConnections: Int
        var maximumPerPeer: Int
    }

    enum Stage: Hashable {
        /// Connected, not (or not yet) associated; a rejected connection stays here until it closes.
        case negotiating
        /// Negotiated; stays here until the connection closes, released or not.
        case associated
    }

    enum Refusal: Hashable, Sendable, CustomStringConvertible {
        case pendingLimit(Int)
        case pendingLimitForPeer(Int)
        case associationLimit(Int)
        case associationLimitForPeer(Int)

        var description: String {
            switch self {
            case .pendingLimit(let limit): "\(limit) connections are already negotiating"
            case .pendingLimitForPeer(let limit): "this peer already has \(limit) connections negotiating"
            case .associationLimit(let limit): "\(limit) associations are already open"
            case .associationLimitForPeer(let limit): "this peer already has \(limit) associations open"
            }
        }
    }

    private struct Holder {
        var peer: String
        var stage: Stage
    }

    let limits: Limits
    private var holders: [ObjectIdentifier: Holder] = [:]

    init(limits: Limits) {
        self.limits = limits
    }

    func count(_ stage: Stage, peer: String? = nil) -> Int {
        holders.values.filter { $0.stage == stage && (peer == nil || $0.peer == peer) }.count
    }

    /// A new TCP connection from `peer` (its IP address): takes a pending slot, or is refused.
    mutating func admitConnection(_ id: ObjectIdentifier, peer: String) -> Refusal? {
        if count(.negotiating) >= limits.maximumPendingConnections { return .pendingLimit(limits.maximumPendingConnections) }
        if count(.negotiating, peer: peer) >= limits.maximumPerPeer { return .pendingLimitForPeer(limits.maximumPerPeer) }
        holders[id] = Holder(peer: peer, stage: .negotiating)
        return nil
    }

    /// The connection's association was negotiated: it moves from its pending slot to an
    /// association slot, or is refused and keeps its pending slot until it closes.
    mutating func admitAssociation(_ id: ObjectIdentifier) -> Refusal? {
        guard let holder = holders[id] else { preconditionFailure("association on a connection that was never admitted") }
        precondition(holder.stage == .negotiating, "association admitted twice")
        if count(.associated) >= limits.maximumAssociations { return .associationLimit(limits.maximumAssociations) }
        if count(.associated, peer: holder.peer) >= limits.maximumPerPeer { return .associationLimitForPeer(limits.maximumPerPeer) }
        holders[id]?.stage = .associated
        return nil
    }

    /// The connection closed: whatever it held is free.
    mutating func release(_ id: ObjectIdentifier) {
        holders[id] = nil
    }
}
