import ServiceLifecycle

extension ServiceGroupConfiguration.ServiceConfiguration {
    /// One of the agent's services: the agent runs as one, so any service ending, by success or
    /// failure, shuts the whole group down gracefully (systemd or the panel's restart starts it
    /// again).
    static func agentService(_ service: some Service, named name: String) -> Self {
        .init(
            service: service,
            successTerminationBehavior: .gracefullyShutdownGroup,
            failureTerminationBehavior: .gracefullyShutdownGroup,
            serviceName: name
        )
    }
}
