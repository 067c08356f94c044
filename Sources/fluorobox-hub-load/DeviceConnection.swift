import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One simulated device's connection to the hub: its own TLS session with its own client
/// certificate, kept open and reused request after request as a box's HTTP client does, one
/// request at a time. A lost connection is made again on the next request (and counted).
final class DeviceConnection: Sendable {
    let device: String
    private let context: NIOSSLContext
    private let group: any EventLoopGroup
    private let host: String
    private let port: Int
    private let channel = Mutex<(any Channel)?>(nil)
    let connects = Atomic<Int>(0)

    init(device: String, context: NIOSSLContext, group: any EventLoopGroup, host: String, port: Int) {
        self.device = device
        self.context = context
        self.group = group
        self.host = host
        self.port = port
    }

    /// Opens the connection and completes the TLS handshake with a `GET /v1/health` (which
    /// touches no database), so that neither counts in the figures.
    func connect() async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        let status = try await send(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/v1/health", headers: headers), body: nil)
        guard status == 204 else { throw LoadError("\(device): GET /v1/health answered \(status)") }
    }

    /// Sends one request and waits for the whole answer; returns its status code.
    func send(_ head: HTTPRequestHead, body: ByteBuffer?) async throws -> UInt {
        let current: any Channel
        if let held = channel.withLock({ $0 }), held.isActive {
            current = held
        } else {
            current = try await open()
            channel.withLock { $0 = current }
        }
        let promise = current.eventLoop.makePromise(of: UInt.self)
        current.writeAndFlush(Exchange(head: head, body: body, answer: promise)).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    func close() async {
        if let held = channel.withLock({ $0 }) { try? await held.close() }
    }

    private func open() async throws -> any Channel {
        connects.add(1, ordering: .relaxed)
        let context = context
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        return channel
    }
}

/// One request and where its status goes.
struct Exchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let answer: EventLoopPromise<UInt>
}

/// Writes an `Exchange` as an HTTP/1.1 request and completes its promise with the status once
/// the answer's end arrived. Requests are not pipelined (one at a time per device), but answers
/// are matched first in, first out all the same.
final class ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting: [EventLoopPromise<UInt>] = []
    private var status: UInt?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        waiting.append(exchange.answer)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = head.status.code
        case .body: break
        case .end:
            if !waiting.isEmpty { waiting.removeFirst().succeed(status ?? 0) }
            status = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        let failed = waiting
        waiting = []
        for promise in failed { promise.fail(error) }
    }
}
