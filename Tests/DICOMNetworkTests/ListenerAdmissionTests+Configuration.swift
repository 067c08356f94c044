import DICOMNetwork

extension ListenerAdmissionTests {
    /// The fixture's acceptor with the limits a test sets.
    static func configuration(
        artimTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(120), maximumAssociations: Int = 8,
        maximumPendingConnections: Int = 32, maximumPerPeer: Int = 4,
        maximumInstanceBytes: Int = AcceptorConfiguration.defaultMaximumInstanceBytes
    ) -> AcceptorConfiguration {
        AcceptorConfiguration(
            aeTitle: ListenerFixture.aeTitle, artimTimeout: artimTimeout, idleTimeout: idleTimeout,
            maximumAssociations: maximumAssociations, maximumPendingConnections: maximumPendingConnections,
            maximumPerPeer: maximumPerPeer, maximumInstanceBytes: maximumInstanceBytes
        )
    }
}
