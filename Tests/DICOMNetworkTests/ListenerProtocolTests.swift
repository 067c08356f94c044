import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import NIOCore
import StudyStore
import Testing

/// The listener against this project's own SCU and a raw socket: statuses, rejections, timers
/// and hostile peers, each checked against the store on disk.
@Suite("DICOM listener: statuses, limits, timers and hostile peers", .serialized)
struct ListenerProtocolTests {
    static let dx = "1.2.840.10008.5.1.4.1.1.1.1"
    static let sc = "1.2.840.10008.5.1.4.1.1.7"

    func requestor(calling: String = "MODALITY", called: String = ListenerFixture.aeTitle) -> RequestorConfiguration {
        RequestorConfiguration(
            callingAETitle: calling, calledAETitle: called,
            presentationContexts: [
                ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
                ProposedPresentationContext(id: 3, abstractSyntax: Self.sc, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
            ]
        )
    }

    func instance(payload: Int = 4096) throws -> (uid: String, dataSet: ByteBuffer, file: [UInt8]) {
        try Corpus.instance(payload: payload)
    }

    @Test("C-ECHO and C-STORE succeed; the blob is the file meta plus the exact data set sent; a resend is a duplicate")
    func storeAndDuplicate() async throws {
        let fixture = try await ListenerFixture()
        let sent = try instance(payload: 300_000)
        let (echo, first, second) = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(), logger: quietLogger) { association in
            let echo = try await association.echo()
            let first = try await association.store(dataSet: sent.dataSet, sopClassUID: Self.sc, sopInstanceUID: sent.uid, contextID: 3)
            let second = try await association.store(dataSet: sent.dataSet, sopClassUID: Self.sc, sopInstanceUID: sent.uid, contextID: 3)
            return (echo, first.status, second.status)
        }
        #expect(echo == .success && first == .success && second == .success)
        let stored = try fixture.instances()
        #expect(stored.count == 1)
        let instance = try #require(stored.first)
        #expect(instance.sopInstanceUID == sent.uid && instance.source == "dicom-scp")
        #expect(instance.sourceDetail?.hasPrefix("MODALITY@127.0.0.1:") == true)
        let blob = try fixture.blob(instance)
        let meta = try FileMetaInformation(part10: blob)
        #expect(meta.transferSyntax == .explicitVRLittleEndian && meta.mediaStorageSOPInstanceUID == sent.uid)
        #expect(Array(blob[meta.dataSetOffset...]) == Array(buffer: sent.dataSet))
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("a full store answers 0xA700 before and after receiving, keeps nothing and leaves no temp file")
    func storeFull() async throws {
        // The cap is below one instance: refused once the size is known.
        let capped = try await ListenerFixture(retention: RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0), maximumStoreBytes: 1000))
        let sent = try instance()
        let status = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: capped.port, configuration: requestor(), logger: quietLogger) { association in
            try await association.store(dataSet: sent.dataSet, sopClassUID: Self.sc, sopInstanceUID: sent.uid, contextID: 3)
        }
        #expect(status.status == .outOfResources)
        #expect(status.errorComment?.contains("store full") == true)
        #expect(try capped.instances().isEmpty)
        #expect(try capped.temporaryFiles().isEmpty)
        // Already over the hard limit (free space can never be 100% of the disk): refused before writing.
        let full = try await ListenerFixture(retention: RetentionPolicy(softLimit: .percent(100), hardLimit: .percent(100)))
        let early = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: full.port, configuration: requestor(), logger: quietLogger) { association in
            try await association.store(dataSet: sent.dataSet, sopClassUID: Self.sc, sopInstanceUID: sent.uid, contextID: 3)
        }
        #expect(early.status == .outOfResources)
        #expect(try full.instances().isEmpty && full.temporaryFiles().isEmpty)
        await capped.stop()
        await full.stop()
    }

    @Test("an unparseable data set answers 0xC000 and its raw bytes are kept in quarantine")
    func unparseable() async throws {
        let fixture = try await ListenerFixture()
        // A first element whose length runs far past the end of the data.
        let garbage: [UInt8] = [0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0xF0, 0xFF] + Array(repeating: 0x41, count: 100)
        let uid = DICOMUID.random()
        let response = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(), logger: quietLogger) { association in
            try await association.store(dataSet: ByteBuffer(bytes: garbage), sopClassUID: Self.sc, sopInstanceUID: uid, contextID: 3)
        }
        let status = try #require(response.status)
        #expect((0xC000...0xCFFF).contains(status.rawValue))
        #expect(response.errorComment?.contains("quarantine") == true)
        #expect(try fixture.instances().isEmpty)
        let kept = try fixture.quarantinedFiles()
        #expect(kept.count == 1)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.store.directory.quarantinePath + "/" + kept[0])))
        #expect(Array(bytes.suffix(garbage.count)) == garbage)
        #expect(try FileMetaInformation(part10: bytes).mediaStorageSOPInstanceUID == uid)
        await fixture.stop()
    }

    @Test("wrong called AE, an unlisted calling AE and one association too many are rejected")
    func rejections() async throws {
        let fixture = try await ListenerFixture(configuration: AcceptorConfiguration(aeTitle: ListenerFixture.aeTitle, acceptedCallingAETitles: ["MODALITY"], maximumAssociations: 1))
        await #expect(throws: DICOMNetworkError.self) {
            _ = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(called: "SOMEONE"), logger: quietLogger) { try await $0.echo() }
        }
        try await fixture.waitUntilIdle()
        do {
            _ = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: fixture.port, configuration: requestor(calling: "STRANGER"), logger: quietLogger) { try await $0.echo() }
            Issue.record("an unlisted calling AE was accepted")
        } catch let error as DICOMNetworkError {
            #expect(error.code == .associationRejected && error.detail.contains("calling AE title not recognised"), "\(error)")
        }
        // The rejected peer returns as soon as it reads the rejection; the listener may still
        // hold that connection for a moment, and with a limit of 1 it would count.
        try await fixture.waitUntilIdle()
        let port = fixture.port
        let configuration = requestor()
        try await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: configuration, logger: quietLogger) { association in
            #expect(try await association.echo() == .success)
            do {
                _ = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: configuration, logger: quietLogger) { try await $0.echo() }
                Issue.record("a second association was accepted over the limit of 1")
            } catch let error as DICOMNetworkError {
                #expect(error.detail.contains("transient") && error.detail.contains("local limit"))
            }
        }
        // The slot is free again once the first association is released.
        try await fixture.waitUntilIdle()
        let again = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: configuration, logger: quietLogger) { try await $0.echo() }
        #expect(again == .success)
        await fixture.stop()
    }

    // MARK: Raw peers

    func associateRaw(_ peer: RawPeer) async throws -> [UInt8] {
        try await peer.associate(requestor().presentationContexts)
    }

    func dataPDU(contextID: UInt8, command: Bool, last: Bool, _ bytes: [UInt8]) -> [UInt8] {
        RawPeer.dataPDU(contextID: contextID, command: command, last: last, bytes)
    }

    @Test("an abort in the middle of a data set leaves nothing: no instance, no temp file")
    func abortMidTransfer() async throws {
        let fixture = try await ListenerFixture()
        let sent = try instance(payload: 200_000)
        let peer = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(peer).first == 0x02)
        try peer.send(dataPDU(contextID: 3, command: true, last: true, Array(buffer: DIMSECommand.storeRequest(messageID: 1, sopClassUID: Self.sc, sopInstanceUID: sent.uid).encoded())))
        let data = Array(buffer: sent.dataSet)
        try peer.send(dataPDU(contextID: 3, command: false, last: false, Array(data[0..<10_000])))
        try peer.send(dataPDU(contextID: 3, command: false, last: false, Array(data[10_000..<16_000])))
        try await Task.sleep(for: .milliseconds(200))
        try peer.send(Array(buffer: PDU.abort(AbortPDU(source: .serviceUser)).encoded()))
        #expect(await peer.readUntilClosed(timeout: 5).closed)
        try await fixture.waitUntilIdle()
        #expect(try fixture.instances().isEmpty)
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("hostile PDUs get an A-ABORT with the reason and a closed connection, without buffering")
    func hostile() async throws {
        let fixture = try await ListenerFixture()
        // A P-DATA announcing 4 GB: refused from its header.
        let huge = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(huge).first == 0x02)
        try huge.send([0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0])
        let answer = await huge.readUntilClosed(timeout: 5)
        #expect(answer.closed && answer.bytes == [0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6])
        // An unknown PDU type before any association.
        let unknown = try RawPeer(port: fixture.port)
        try unknown.send([0x44, 0, 0, 0, 0, 0])
        let unknownAnswer = await unknown.readUntilClosed(timeout: 5)
        #expect(unknownAnswer.closed && unknownAnswer.bytes == [0x07, 0, 0, 0, 0, 4, 0, 0, 2, 1])
        // Data on a context that was never accepted.
        let stray = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(stray).first == 0x02)
        try stray.send(dataPDU(contextID: 9, command: true, last: true, [1, 2, 3, 4]))
        let strayAnswer = await stray.readUntilClosed(timeout: 5)
        #expect(strayAnswer.closed && strayAnswer.bytes == [0x07, 0, 0, 0, 0, 4, 0, 0, 2, 5])
        // A data set fragment with no C-STORE before it.
        let orphan = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(orphan).first == 0x02)
        try orphan.send(dataPDU(contextID: 3, command: false, last: true, [1, 2, 3, 4]))
        let orphanAnswer = await orphan.readUntilClosed(timeout: 5)
        #expect(orphanAnswer.closed && orphanAnswer.bytes == [0x07, 0, 0, 0, 0, 4, 0, 0, 2, 2])
        #expect(try fixture.instances().isEmpty)
        await fixture.stop()
    }

    @Test("ARTIM closes a silent connection; the idle timer aborts a silent association")
    func timers() async throws {
        let fixture = try await ListenerFixture(configuration: AcceptorConfiguration(
            aeTitle: ListenerFixture.aeTitle, artimTimeout: .milliseconds(300), idleTimeout: .milliseconds(500)
        ))
        let silent = try RawPeer(port: fixture.port)
        let started = Date()
        let nothing = await silent.readUntilClosed(timeout: 10)
        #expect(nothing.closed && nothing.bytes.isEmpty)
        #expect(Date().timeIntervalSince(started) < 5)
        let idle = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(idle).first == 0x02)
        let aborted = await idle.readUntilClosed(timeout: 10)
        #expect(aborted.closed && aborted.bytes.first == 0x07)
        await fixture.stop()
    }

    @Test("a release is answered and the listener stops with no association left")
    func release() async throws {
        let fixture = try await ListenerFixture()
        let peer = try RawPeer(port: fixture.port)
        #expect(try await associateRaw(peer).first == 0x02)
        try peer.send([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        #expect(await peer.read(atLeast: 10, timeout: 5) == [0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        await fixture.stop()
        #expect(await fixture.listener.openConnections == 0)
    }
}
