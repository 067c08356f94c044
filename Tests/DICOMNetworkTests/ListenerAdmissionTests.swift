import Appliance
import DICOM
@testable import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import NIOCore
import POSIXSupport
import StudyStore
import Testing

/// What a peer on the LAN cannot do to intake: take the association slots with silent or
/// trickling sockets, take them all from one address, fill the disk with one instance, or keep
/// retention waiting while it sends slowly. Real sockets against a real listener and store.
@Suite("DICOM listener: slots, per-peer limits, progress and size cap", .serialized)
struct ListenerAdmissionTests {
    static let sc = ListenerProtocolTests.sc
    static let contexts = [
        ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
        ProposedPresentationContext(id: 3, abstractSyntax: ListenerAdmissionTests.sc, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
    ]
    /// A-ASSOCIATE-RJ: transient (2), service-provider presentation related (3), local limit exceeded (2).
    static let localLimitReject: [UInt8] = [0x03, 0, 0, 0, 0, 4, 0, 2, 3, 2]

    func requestor() -> RequestorConfiguration {
        RequestorConfiguration(callingAETitle: "MODALITY", calledAETitle: ListenerFixture.aeTitle, presentationContexts: Self.contexts)
    }

    func storeCommand(_ uid: String, messageID: UInt16 = 1) -> [UInt8] {
        RawPeer.dataPDU(contextID: 3, command: true, last: true, Array(buffer: DIMSECommand.storeRequest(messageID: messageID, sopClassUID: Self.sc, sopInstanceUID: uid).encoded()))
    }

    /// Polls `condition` for up to 2 s.
    func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    // MARK: Slots

    @Test("silent connections take no association slot: the modality associates while they wait for ARTIM")
    func silentConnectionsTakeNoSlot() async throws {
        let fixture = try await ListenerFixture(configuration: Self.configuration(maximumAssociations: 1))
        let silent = try (0..<3).map { _ in try RawPeer(port: fixture.port) }
        try await fixture.waitForConnections(silent.count)
        let echo = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(), logger: quietLogger) {
            try await $0.echo()
        }
        #expect(echo == .success)
        #expect(await fixture.listener.openConnections >= silent.count, "the silent connections are still open, waiting for ARTIM")
        await fixture.stop()
    }

    @Test("past the pending bound a new connection is closed at once, without an answer")
    func pendingBound() async throws {
        // ARTIM far beyond the wait: a close within it is the pending bound's, whatever the
        // load on the machine (CI once took more than 15 s to get to the close).
        let fixture = try await ListenerFixture(configuration: Self.configuration(
            artimTimeout: .seconds(600), maximumPendingConnections: 3, maximumPerPeer: 8
        ))
        let silent = try (1...3).map { try RawPeer(port: fixture.port, from: "127.0.0.\($0)") }
        try await fixture.waitForConnections(silent.count)
        #expect(await fixture.listener.openConnections == silent.count)
        let excessPeer = try RawPeer(port: fixture.port, from: "127.0.0.9")
        let excess = await excessPeer.readUntilClosed(timeout: 120)
        #expect(excess.closed && excess.bytes.isEmpty, "the excess connection was not closed without an answer")
        #expect(await fixture.listener.openConnections == silent.count, "the silent connections keep their pending slots")
        await fixture.stop()
    }

    @Test("per peer address: an association past the limit is rejected (transient, local limit exceeded), an excess raw connection is closed, other addresses are served")
    func perPeerLimit() async throws {
        let fixture = try await ListenerFixture(configuration: Self.configuration(
            artimTimeout: .seconds(20), maximumAssociations: 8, maximumPerPeer: 2
        ))
        let first = try RawPeer(port: fixture.port), second = try RawPeer(port: fixture.port)
        #expect(try await first.associate(Self.contexts).first == 0x02)
        #expect(try await second.associate(Self.contexts).first == 0x02)
        let third = try RawPeer(port: fixture.port)
        #expect(try await third.associate(Self.contexts) == Self.localLimitReject)
        let elsewhere = try RawPeer(port: fixture.port, from: "127.0.0.2")
        #expect(try await elsewhere.associate(Self.contexts).first == 0x02)
        // Raw connections that never associate: two are held (ARTIM would close them), a third is not.
        let silent = try (0..<2).map { _ in try RawPeer(port: fixture.port, from: "127.0.0.3") }
        try await fixture.waitForConnections(4 + silent.count)
        let excessPeer = try RawPeer(port: fixture.port, from: "127.0.0.3")
        let started = Date()
        let excess = await excessPeer.readUntilClosed(timeout: 15)
        #expect(excess.closed && excess.bytes.isEmpty)
        #expect(Date().timeIntervalSince(started) < 10, "closed at once, not by ARTIM (20 s)")
        // A released association frees its peer's slot once the connection closes.
        try first.send([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        #expect(await first.read(atLeast: 10, timeout: 5) == [0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        first.shutdown()
        try await fixture.waitForConnections(3 + silent.count)
        #expect(try await RawPeer(port: fixture.port).associate(Self.contexts).first == 0x02)
        await fixture.stop()
    }

    // MARK: Progress

    @Test("an association trickling tiny data fragments is aborted by the idle timer; nothing is kept")
    func tinyFragmentsDoNotKeepAssociation() async throws {
        let fixture = try await ListenerFixture(configuration: Self.configuration(idleTimeout: .seconds(1)))
        let peer = try RawPeer(port: fixture.port)
        #expect(try await peer.associate(Self.contexts).first == 0x02)
        try peer.send(storeCommand(DICOMUID.random()))
        // 16 bytes every 200 ms: a PDU five times per idle period, each far from progress.
        let trickle = Task {
            for _ in 0..<75 {
                guard (try? peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: false, Array(repeating: 0x41, count: 16)))) != nil else { return }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let started = Date()
        let answer = await peer.readUntilClosed(timeout: 15)
        trickle.cancel()
        #expect(answer.closed && answer.bytes.first == 0x07, "aborted, not kept open by the trickle")
        #expect(Date().timeIntervalSince(started) < 12)
        try await fixture.waitUntilIdle()
        #expect(try fixture.instances().isEmpty && fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("an A-ASSOCIATE-RQ trickled byte by byte is closed by ARTIM")
    func trickledRequest() async throws {
        let fixture = try await ListenerFixture(configuration: Self.configuration(artimTimeout: .seconds(1)))
        let peer = try RawPeer(port: fixture.port)
        let request = Array(buffer: PDU.associateRequest(AssociateRequest(
            calledAETitle: ListenerFixture.aeTitle, callingAETitle: "RAW", presentationContexts: Self.contexts,
            userInformation: UserInformation(maximumLength: 16_384, implementationClassUID: "1.2.3")
        )).encoded())
        let trickle = Task {
            for byte in request {
                guard (try? peer.send([byte])) != nil else { return }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let answer = await peer.readUntilClosed(timeout: 8)
        trickle.cancel()
        #expect(answer.closed && answer.bytes.isEmpty)
        await fixture.stop()
    }

    // MARK: Size cap

    @Test("a data set over the cap: the partial file goes at once, the rest is dropped, 0xA700 answers, the next instance on the same association is stored")
    func sizeCap() async throws {
        let cap = 100_000
        let fixture = try await ListenerFixture(configuration: Self.configuration(maximumInstanceBytes: cap))
        let peer = try RawPeer(port: fixture.port)
        #expect(try await peer.associate(Self.contexts).first == 0x02)
        let oversized = DICOMUID.random()
        try peer.send(storeCommand(oversized, messageID: 1))
        let chunk = Array(repeating: UInt8(0x41), count: 10_000)
        for _ in 0..<5 {
            try peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: false, chunk))
        }
        #expect(try await eventually { try !fixture.temporaryFiles().isEmpty }, "under the cap the instance is being written")
        for _ in 0..<10 {
            try peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: false, chunk))
        }
        #expect(try await eventually { try fixture.temporaryFiles().isEmpty }, "past the cap, still mid-message, nothing of it is left on disk")
        try peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: true, chunk))
        let refused = try await peer.readResponse()
        #expect(refused.status == .outOfResources && refused.messageIDBeingRespondedTo == 1)
        #expect(refused.errorComment?.contains("maxInstanceBytes") == true, "\(refused.errorComment ?? "")")
        // The association is in step: the next instance goes through.
        let next = try Corpus.instance(payload: 4096)
        try peer.send(storeCommand(next.uid, messageID: 2))
        try peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: true, Array(buffer: next.dataSet)))
        let stored = try await peer.readResponse()
        #expect(stored.status == .success && stored.messageIDBeingRespondedTo == 2)
        #expect(try fixture.instances().map(\.sopInstanceUID) == [next.uid])
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("the receiver is given no byte past the cap and is told to abandon the instance, never to finish it")
    func sizeCapStopsWriting() async throws {
        let cap = 100_000
        let receiver = RecordingReceiver()
        let fixture = try await ListenerFixture(
            configuration: Self.configuration(maximumInstanceBytes: cap), receiver: receiver
        )
        let sent = try Corpus.instance(payload: 300_000)
        let response = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(), logger: quietLogger) {
            try await $0.store(dataSet: sent.dataSet, sopClassUID: Self.sc, sopInstanceUID: sent.uid, contextID: 3)
        }
        #expect(response.status == .outOfResources)
        let record = receiver.record
        #expect(record.appended <= cap && record.abandoned == 1 && record.finished == 0, "\(record)")
        await fixture.stop()
    }

    // MARK: Locks

    @Test("a C-STORE still arriving does not hold the lock eviction needs")
    func slowSenderDoesNotBlockEviction() async throws {
        let fixture = try await ListenerFixture()
        let peer = try RawPeer(port: fixture.port)
        #expect(try await peer.associate(Self.contexts).first == 0x02)
        try peer.send(storeCommand(DICOMUID.random()))
        try peer.send(RawPeer.dataPDU(contextID: 3, command: false, last: false, Array(repeating: 0x41, count: 10_000)))
        #expect(try await eventually { try !fixture.temporaryFiles().isEmpty }, "the instance is being written")
        let store = fixture.store
        let evictedInTime = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await BlockingIO.run { _ = try store.evict(atLeast: 1, reason: "test") }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            // Ending the transfer releases the lock either way, so the eviction ends too.
            try peer.send(Array(buffer: PDU.abort(AbortPDU(source: .serviceUser)).encoded()))
            try await group.waitForAll()
            return first
        }
        #expect(evictedInTime, "eviction still waiting after 5 s behind a sender that is mid-instance")
        await fixture.stop()
    }
}

/// Counts what the listener hands a receiver, and keeps nothing.
final class RecordingReceiver: InstanceReceiver, @unchecked Sendable {
    struct Record: Sendable, CustomStringConvertible {
        var appended = 0
        var abandoned = 0
        var finished = 0
        var description: String { "appended \(appended), abandoned \(abandoned), finished \(finished)" }
    }

    private let lock = NSLock()
    private var current = Record()

    var record: Record {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func update(_ change: (inout Record) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&current)
    }

    func begin(_ instance: IncomingInstance) async -> InstanceReception {
        .accept(Sink(owner: self))
    }

    final class Sink: InstanceSink {
        let owner: RecordingReceiver
        init(owner: RecordingReceiver) { self.owner = owner }
        func append(_ bytes: UnsafeRawBufferPointer) throws(InstanceSinkError) { owner.update { $0.appended += bytes.count } }
        func finish() async -> (DIMSEStatus, comment: String?) {
            owner.update { $0.finished += 1 }
            return (.success, nil)
        }
        func abandon() { owner.update { $0.abandoned += 1 } }
    }
}
