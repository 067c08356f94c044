@testable import DICOMNetwork
import Testing

/// The slot bookkeeping alone; ListenerAdmissionTests drives the same over sockets.
@Suite("Connection admission")
struct ConnectionAdmissionTests {
    final class Connection {}

    @Test("pending and association slots are counted apart, in total and per peer, and freed on close")
    func slots() {
        var admission = ConnectionAdmission(limits: .init(maximumAssociations: 2, maximumPendingConnections: 3, maximumPerPeer: 2))
        let connections = (0..<6).map { _ in Connection() }
        let id = connections.map(ObjectIdentifier.init)
        #expect(admission.admitConnection(id[0], peer: "a") == nil)
        #expect(admission.admitConnection(id[1], peer: "a") == nil)
        #expect(admission.admitConnection(id[2], peer: "a") == .pendingLimitForPeer(2))
        #expect(admission.admitConnection(id[2], peer: "b") == nil)
        #expect(admission.admitConnection(id[3], peer: "c") == .pendingLimit(3))
        // Associating frees the pending slot.
        #expect(admission.admitAssociation(id[0]) == nil)
        #expect(admission.admitConnection(id[3], peer: "c") == nil)
        #expect(admission.admitAssociation(id[1]) == nil)
        #expect(admission.count(.associated, peer: "a") == 2)
        #expect(admission.admitAssociation(id[2]) == .associationLimit(2))
        admission.release(id[0])
        #expect(admission.admitAssociation(id[2]) == nil)
        #expect(admission.admitAssociation(id[3]) == .associationLimit(2))
        #expect(admission.count(.negotiating) == 1)
    }

    @Test("one peer cannot take every association slot")
    func perPeerAssociations() {
        var admission = ConnectionAdmission(limits: .init(maximumAssociations: 8, maximumPendingConnections: 32, maximumPerPeer: 1))
        let connections = (0..<3).map { _ in Connection() }
        let id = connections.map(ObjectIdentifier.init)
        #expect(admission.admitConnection(id[0], peer: "a") == nil)
        #expect(admission.admitAssociation(id[0]) == nil)
        #expect(admission.admitConnection(id[1], peer: "a") == nil)
        #expect(admission.admitAssociation(id[1]) == .associationLimitForPeer(1))
        #expect(admission.admitConnection(id[2], peer: "b") == nil)
        #expect(admission.admitAssociation(id[2]) == nil)
    }
}
