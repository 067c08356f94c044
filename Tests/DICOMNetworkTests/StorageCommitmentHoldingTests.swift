import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import POSIXSupport
import StudyStore
import Testing

/// What the box commits to: only instances whose row is committed, whose blob is on disk and
/// whose SOP class is the one asked about. Stored by the box's own C-STORE SCU into a real store.
@Suite("Storage commitment holdings")
struct StorageCommitmentHoldingTests {
    static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"

    @Test("durable → committed; unknown → 0x0112; other class → 0x0119; blob gone → 0x0110; and the request is kept until reported")
    func holdings() async throws {
        let fixture = try await ListenerFixture(label: "commitment-holdings", storageCommitment: true)
        let files = try Corpus.write(count: 2, into: fixture.folder, subfolder: "in")
        let outcomes = try await StoreSCU(callingAETitle: "MODALITY", calledAETitle: ListenerFixture.aeTitle, logger: quietLogger)
            .send(host: "127.0.0.1", port: fixture.port, paths: files.map(\.path))
        #expect(outcomes.map(\.status) == [.success, .success])
        // The second instance's file disappears (a damaged disk): recorded, but not held.
        let lost = try #require(try fixture.instances().first { $0.sopInstanceUID == files[1].uid })
        try Posix.unlink(fixture.store.directory.absolute(lost.blobPath))

        let unknownUID = DICOMUID.random()
        let request = StorageCommitmentRequest(transactionUID: DICOMUID.random(), references: [
            SOPReference(sopClassUID: Self.secondaryCapture, sopInstanceUID: files[0].uid),
            SOPReference(sopClassUID: Self.secondaryCapture, sopInstanceUID: unknownUID),
            SOPReference(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: files[0].uid),
            SOPReference(sopClassUID: Self.secondaryCapture, sopInstanceUID: files[1].uid),
        ])
        let commitments = try #require(fixture.commitments)
        try await commitments.accept(request, callingAETitle: "MODALITY")
        let pending = try #require(try fixture.store.pendingCommitment(transactionUID: request.transactionUID))
        #expect(pending.references.map(\.sopInstanceUID) == request.references.map(\.sopInstanceUID))
        #expect(pending.callingAETitle == "MODALITY")
        #expect(pending.nextAttemptAt > Date().addingTimeInterval(60), "the modality's association gets its grace first")

        let report = await commitments.report(for: request)
        #expect(report.eventTypeID == 2)
        #expect(report.committed == [request.references[0]])
        #expect(report.failed == [
            .init(reference: request.references[1], reason: .noSuchObjectInstance),
            .init(reference: request.references[2], reason: .classInstanceConflict),
            .init(reference: request.references[3], reason: .processingFailure),
        ])

        await commitments.deliverLater(transactionUID: request.transactionUID, reason: "test")
        #expect(try fixture.store.dueCommitments().map(\.transactionUID) == [request.transactionUID])
        await commitments.reported(transactionUID: request.transactionUID, eventTypeID: 2)
        #expect(try fixture.store.pendingCommitment(transactionUID: request.transactionUID) == nil)
        #expect(try fixture.store.pendingCommitmentCount() == 0)
        await fixture.stop()
    }
}
