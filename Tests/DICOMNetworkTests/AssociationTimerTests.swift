@testable import DICOMNetwork
import NIOCore
import NIOEmbedded
import Testing

/// The ARTIM and idle timers on a channel whose clock the test moves by hand.
@Suite("Association timers")
struct AssociationTimerTests {
    func channel(artim: Duration = .seconds(30), idle: Duration = .seconds(120)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(AssociationTimerHandler(phase: .artim, artim: artim, idle: idle))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 104)).wait()
        return channel
    }

    /// A channel whose peer asked for an association that then moved the timer to `phase`.
    func associated(then phase: AssociationTimerHandler.Phase) throws -> EmbeddedChannel {
        let channel = try channel()
        try channel.writeInbound(PDU.associateRequest(PDUTests.request))
        try channel.triggerUserOutboundEvent(phase).wait()
        return channel
    }

    /// A timeout reaches the reader as an error; the channel closes.
    func expectTimedOut(_ channel: EmbeddedChannel) {
        #expect(!channel.isActive)
        #expect(throws: DICOMNetworkError.self) { try channel.throwIfErrorCaught() }
    }

    /// Open a second before `seconds` from now, timed out a second after.
    func expectCloses(_ channel: EmbeddedChannel, after seconds: Int64) {
        channel.embeddedEventLoop.advanceTime(by: .seconds(seconds - 1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        expectTimedOut(channel)
    }

    @Test("a silent peer is closed when ARTIM runs out")
    func silentPeer() throws {
        expectCloses(try channel(), after: 30)
    }

    @Test("an A-ASSOCIATE-RQ stops ARTIM at once, however long the association takes to answer")
    func requestStopsArtim() throws {
        let channel = try channel()
        try channel.writeInbound(PDU.associateRequest(PDUTests.request))
        // The association task has not run yet (a busy pool): the peer did its part in time.
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(channel.isActive)
        #expect(try channel.readInbound(as: PDU.self) == .associateRequest(PDUTests.request))
        // Once the association answers, the idle timer runs.
        try channel.triggerUserOutboundEvent(AssociationTimerHandler.Phase.idle).wait()
        expectCloses(channel, after: 120)
    }

    @Test("after a rejection or release nothing the peer sends stops ARTIM, so it cannot hold the connection")
    func closingIgnoresPeer() throws {
        let channel = try associated(then: .artim)
        for _ in 0..<3 {
            try channel.writeInbound(PDU.associateRequest(PDUTests.request))
            channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        expectTimedOut(channel)
    }

    func data(_ count: Int, command: Bool = false, last: Bool = false) -> PDU {
        .data([PresentationDataValue(contextID: 1, isCommand: command, isLastFragment: last, data: ByteBuffer(repeating: 0x41, count: count))])
    }

    @Test("an idle association is aborted; progress keeps it open")
    func idleAbort() throws {
        let channel = try associated(then: .idle)
        for _ in 0..<5 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(100))
            try channel.writeInbound(data(200, command: true, last: true))
        }
        expectCloses(channel, after: 120)
        let abort = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(abort.getInteger(at: 0, as: UInt8.self) == 0x07)
    }

    @Test("progress is a fragment that ends a command or data set, or 64 KiB of data; tiny fragments and other PDUs are not")
    func progress() throws {
        let channel = try associated(then: .idle)
        // Many PDUs, few bytes, nothing finished: no progress, so the clock keeps running.
        for _ in 0..<11 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(10))
            try channel.writeInbound(data(16))
            try channel.writeInbound(PDU.data([]))
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        expectTimedOut(channel)

        // 64 KiB over several PDUs restarts it; so does the last fragment of a data set.
        let busy = try associated(then: .idle)
        busy.embeddedEventLoop.advanceTime(by: .seconds(100))
        for _ in 0..<4 { try busy.writeInbound(data(DIMSEProgress.bytesPerPeriod / 4)) }
        busy.embeddedEventLoop.advanceTime(by: .seconds(100))
        try busy.writeInbound(data(16, last: true))
        expectCloses(busy, after: 120)
    }
}
