import Logging
import NIOCore
import NIOPosix

/// The C-ECHO / C-STORE / storage commitment / query-retrieve SCP: binds a TCP port, accepts connections and serves each on its own
/// task. ``ConnectionAdmission`` decides which connections and associations it takes.
public actor DICOMListener {
    public typealias ServerChannel = NIOAsyncChannel<NIOAsyncChannel<PDU, ByteBuffer>, Never>

    enum State {
        case idle
        case listening(ServerChannel)
        /// Closed by ``close(grace:)``; associations may still be finishing.
        case closed
    }

    public let configuration: AcceptorConfiguration
    private let receiver: any InstanceReceiver
    private let commitments: (any CommitmentReceiver)?
    private let commitmentReports: (any CommitmentReportReceiver)?
    private let queryRetrieve: QueryRetrieveSource?
    private let worklist: (any WorklistSource)?
    private let logger: Logger
    private let group: any EventLoopGroup
    private var state = State.idle
    /// Open connections by identity, so a shutdown can abort them.
    private var connections: [ObjectIdentifier: any Channel] = [:]
    private var admission: ConnectionAdmission

    public init(
        configuration: AcceptorConfiguration, receiver: any InstanceReceiver, commitments: (any CommitmentReceiver)? = nil,
        commitmentReports: (any CommitmentReportReceiver)? = nil, queryRetrieve: QueryRetrieveSource? = nil,
        worklist: (any WorklistSource)? = nil,
        logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        var configuration = configuration
        configuration.servesQueryRetrieve = configuration.servesQueryRetrieve && queryRetrieve != nil
        configuration.servesWorklist = configuration.servesWorklist && worklist != nil
        if commitmentReports == nil { configuration.commitmentReportAETitles = [] }
        self.configuration = configuration
        self.receiver = receiver
        self.commitments = commitments
        self.commitmentReports = commitmentReports
        self.queryRetrieve = queryRetrieve
        self.worklist = worklist
        self.logger = logger
        self.group = group
        admission = ConnectionAdmission(limits: ConnectionAdmission.Limits(
            maximumAssociations: configuration.maximumAssociations,
            maximumPendingConnections: configuration.maximumPendingConnections,
            maximumPerPeer: configuration.maximumPerPeer
        ))
    }

    /// Binds and returns the port (useful with port 0, which picks a free one).
    public func bind(host: String, port: Int) async throws -> Int {
        guard case .idle = state else { preconditionFailure("bind called twice") }
        let configuration = configuration
        let server: ServerChannel
        do {
            server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // tcpOption: socketOption would set SOL_SOCKET 1 = SO_DEBUG (EACCES without CAP_NET_ADMIN)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 16 * 1024, initial: 256 * 1024, maximum: 1024 * 1024))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PDUDecoder(limits: configuration.limits)))
                    try channel.pipeline.syncOperations.addHandler(AssociationTimerHandler(
                        phase: .artim, artim: configuration.artimTimeout, idle: configuration.idleTimeout
                    ))
                    if configuration.servesQueryRetrieve || configuration.servesWorklist {
                        try channel.pipeline.syncOperations.addHandler(CancelWatcher())
                    }
                    return try NIOAsyncChannel<PDU, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 32))
                    )
                }
            }
        } catch {
            var detail = "\(host):\(port): \(error)"
            if let io = error as? IOError, io.errnoCode == EACCES {
                detail += " (ports below 1024 need root or CAP_NET_BIND_SERVICE; or set dicom.port)"
            } else if let io = error as? IOError, io.errnoCode == EADDRINUSE {
                detail += " (another program holds this port)"
            }
            throw DICOMNetworkError(.bindFailed, detail)
        }
        state = .listening(server)
        let bound = server.channel.localAddress?.port ?? port
        logger.notice("DICOM listener bound", metadata: [
            "address": "\(host):\(bound)", "ae_title": "\(configuration.aeTitle)",
            "max_pdu": "\(configuration.maximumPDULength)", "max_associations": "\(configuration.maximumAssociations)",
            "max_pending_connections": "\(configuration.maximumPendingConnections)", "max_per_peer": "\(configuration.maximumPerPeer)",
            "max_instance_bytes": "\(configuration.maximumInstanceBytes)",
        ])
        return bound
    }

    /// Accepts connections until ``close(grace:)``; returns once every connection has ended.
    public func serve() async throws {
        guard case .listening(let server) = state else { return }
        let negotiator = AssociationNegotiator(configuration: configuration)
        let receiver = self.receiver
        let commitments = self.commitments
        let commitmentReports = self.commitmentReports
        let queryRetrieve = self.queryRetrieve
        let worklist = self.worklist
        let watchesCancels = configuration.servesQueryRetrieve || configuration.servesWorklist
        let logger = self.logger
        try await withThrowingDiscardingTaskGroup { tasks in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    let id = ObjectIdentifier(connection.channel)
                    let peer = Self.peerAddress(connection.channel)
                    if let refusal = self.admitConnection(connection.channel, peer: peer) {
                        // Nothing is read, so nothing is answered: an excess raw connection costs
                        // the box one accept and one close.
                        logger.warning("connection closed at once: too many connections", metadata: ["peer": "\(peer)", "reason": "\(refusal)"])
                        tasks.addTask { try? await connection.executeThenClose { _, _ in } }
                        continue
                    }
                    tasks.addTask {
                        let cancels = !watchesCancels ? nil : try? await connection.channel.pipeline.handler(type: CancelWatcher.self).get()
                        var association = SCPAssociation(
                            channel: connection, negotiator: negotiator, receiver: receiver, commitments: commitments,
                            commitmentReports: commitmentReports, queryRetrieve: queryRetrieve, worklist: worklist, cancels: cancels,
                            logger: logger,
                            claimAssociationSlot: { await self.admitAssociation(id) }
                        )
                        await association.run()
                        await self.release(id)
                    }
                }
            }
        }
    }

    /// Stops accepting; associations still open after `grace` are aborted.
    public func close(grace: Duration = .seconds(5)) async {
        guard case .listening(let server) = state else {
            state = .closed
            return
        }
        state = .closed
        try? await server.channel.close()
        logger.info("DICOM listener stopped accepting", metadata: ["open_associations": "\(connections.count)"])
        let deadline = ContinuousClock.now + grace
        while !connections.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for channel in connections.values {
            logger.warning("aborting an association still open at shutdown")
            let abort = PDU.abort(AbortPDU(source: .serviceProvider)).encoded(allocator: channel.allocator)
            channel.writeAndFlush(abort).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Open connections, associated or not.
    public var openConnections: Int { connections.count }

    /// Open connections that hold an association slot.
    public var openAssociations: Int { admission.count(.associated) }

    private func admitConnection(_ channel: any Channel, peer: String) -> ConnectionAdmission.Refusal? {
        let id = ObjectIdentifier(channel)
        if let refusal = admission.admitConnection(id, peer: peer) { return refusal }
        connections[id] = channel
        return nil
    }

    private func admitAssociation(_ id: ObjectIdentifier) -> ConnectionAdmission.Refusal? {
        admission.admitAssociation(id)
    }

    private func release(_ id: ObjectIdentifier) {
        admission.release(id)
        connections[id] = nil
    }

    /// The peer's IP address without its port: limits are per host, whatever ports it uses.
    static func peerAddress(_ channel: any Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
