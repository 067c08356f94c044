import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import StudyStore
import Sync
import Testing

/// Storage commitment reports that come back on an association the peer opens to the box's own
/// listener (as Orthanc always does), wired as the agent wires it: `dicom.peers` decides who
/// may report, the outbox settles the items.
extension DIMSEDestinationTests {
    struct BoxListener {
        let listener: DICOMListener
        let port: Int
        let serving: Task<Void, any Error>

        func stop() async {
            await listener.close(grace: .milliseconds(200))
            serving.cancel()
        }
    }

    /// The outbox's receiver, counting the reports that reach it.
    final class CountingReports: CommitmentReportReceiver, @unchecked Sendable {
        let inner: DIMSECommitmentReports
        private let lock = NSLock()
        private var seen = 0

        init(_ inner: DIMSECommitmentReports) { self.inner = inner }

        var count: Int { lock.withLock { seen } }

        func received(_ report: StorageCommitmentReport, from callingAETitle: String) async throws -> CommitmentReportOutcome {
            lock.withLock { seen += 1 }
            return try await inner.received(report, from: callingAETitle)
        }
    }

    /// The box's listener on the box's store, with `peers` as `dicom.peers`.
    func boxListener(_ box: Box, peers: [DICOMPeer], reports: CountingReports? = nil) async throws -> BoxListener {
        var settings = DICOMListenerSettings()
        settings.peers = peers
        let listener = DICOMListener(
            configuration: settings.acceptor, receiver: DICOMStoreReceiver(store: box.store, logger: quietLogger),
            commitments: StoreCommitmentReceiver(store: box.store, logger: quietLogger),
            commitmentReports: reports ?? CountingReports(DIMSECommitmentReports(store: box.store, logger: quietLogger)), logger: quietLogger
        )
        let port = try await listener.bind(host: "127.0.0.1", port: 0)
        return BoxListener(listener: listener, port: port, serving: Task { try await listener.serve() })
    }

    /// pynetdicom as PACS reporting on a new association to the box's listener, calling as `reportAE`.
    func lateReportingPeer(_ label: String, commit: String, reportAE: String = "PACS", waitSeconds: Double)
        async throws -> (TemporaryDirectory, DIMSEPeerProcess, Box, BoxListener) {
        let folder = TemporaryDirectory(label)
        let pacsPort = LoopbackPort.free()
        var box = try await box(folder, port: pacsPort, files: [Self.lossy], commitment: true)
        box.settings.dimse.commitmentWaitSeconds = waitSeconds
        let listener = try await boxListener(box, peers: [box.peer])
        let peer = try DIMSEPeerProcess.commitmentSCP(
            port: pacsPort, aeTitle: "PACS", folder: folder, commit: commit,
            extra: ["--report-to", "FLUOROBOX@127.0.0.1:\(listener.port)", "--report-ae", reportAE]
        )
        try await waitUntilListening(box)
        return (folder, peer, box, listener)
    }

    @Test(
        "pynetdicom reports success on a new association: the item is sent (storage-commitment) long before the same-association wait ends",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func lateReportCommits() async throws {
        let (folder, peer, box, listener) = try await lateReportingPeer("dimse-late-commit", commit: "success", waitSeconds: 60)
        defer { peer.stop() }
        let started = Date()
        let figures = try await drain(box, seconds: 30) { $0.sent == 1 }
        let elapsed = Date().timeIntervalSince(started)
        await listener.stop()
        #expect(figures.sent == 1 && figures.awaitingCommitment == 0 && figures.queued == 0, "\(figures)")
        #expect(figures.sentByConfirmation == [SyncService.storageCommitment: 1])
        #expect(elapsed < 30, "settled after \(elapsed) s")
        let seen = events(folder)
        let stored = seen.filter { $0.event == "store" }.compactMap(\.sop_instance_uid)
        let report = try #require(seen.first { $0.event == "report" })
        #expect(report.association == "new" && report.answer == 0, "the box answered \(report.answer.map { String($0, radix: 16) } ?? "nothing") on \(report.association ?? "?")")
        #expect(report.committed == stored && stored.count == 1)
    }

    @Test(
        "pynetdicom reports a failure on a new association: acknowledged, the item is not sent and goes back to sending",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func lateReportFails() async throws {
        let (folder, peer, box, listener) = try await lateReportingPeer("dimse-late-fail", commit: "failure", waitSeconds: 2)
        defer { peer.stop() }
        let figures = try await drain(box, seconds: 60) { _ in events(folder).filter { $0.event == "report" }.count >= 2 }
        await listener.stop()
        #expect(figures.sent == 0 && figures.rejected == 0, "\(figures)")
        // The first two, which the drain saw while the box listened: the peer keeps reporting on
        // the box's next tries, and one that meets the stopped listener is "rejected" by right.
        let reports = Array(events(folder).filter { $0.event == "report" }.prefix(2))
        #expect(reports.count == 2, "a failed commitment is sent again, well before sync.dimse.commitmentTimeoutSeconds")
        #expect(
            reports.allSatisfy { $0.association == "new" && $0.answer == 0 && $0.failed?.count == 1 },
            "\(reports.map { "\($0.association ?? "?") answer \($0.answer.map { String($0, radix: 16) } ?? "none") failed \($0.failed?.count ?? -1)" })"
        )
        #expect(events(folder).filter { $0.event == "store" }.count >= 2)
    }

    @Test(
        "an N-EVENT-REPORT from an AE title not in dicom.peers is refused: nothing settles, the item keeps waiting",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func reportFromStrangerRefused() async throws {
        let (folder, peer, box, listener) = try await lateReportingPeer("dimse-late-stranger", commit: "success", reportAE: "INTRUDER", waitSeconds: 2)
        defer { peer.stop() }
        let figures = try await drain(box, seconds: 60) { $0.awaitingCommitment == 1 }
        await listener.stop()
        #expect(figures.sent == 0 && figures.awaitingCommitment == 1, "\(figures)")
        let report = try #require(events(folder).first { $0.event == "report" })
        // Accepted as a modality asking the box for commitment, never granted the SCP role: the
        // report is an operation the box does not perform for it.
        #expect(report.association == "new" && report.answer == Int(DIMSEStatus.unrecognisedOperation.rawValue), "answer \(report.answer.map { String($0, radix: 16) } ?? "none")")
    }

    /// What `files` sent to Orthanc with storage commitment came to: Orthanc reports on its own
    /// association to the box's listener (the box in its `DicomModalities`).
    struct OrthancRun {
        let figures: DestinationBacklog
        let seconds: Double
        let reports: Int
        let held: [String]
    }

    func sendToOrthanc(_ label: String, files: [String], waitSeconds: Double) async throws -> OrthancRun {
        let folder = TemporaryDirectory(label)
        let dicomPort = LoopbackPort.free()
        var box = try await box(folder, port: dicomPort, files: files, commitment: true, aeTitle: "ORTHANC")
        box.settings.dimse.commitmentWaitSeconds = waitSeconds
        let reports = CountingReports(DIMSECommitmentReports(store: box.store, logger: quietLogger))
        let listener = try await boxListener(box, peers: [box.peer], reports: reports)
        let orthanc = try OrthancProcess(folder: folder, dicomPort: dicomPort, modalities: [
            "box": ["AET": "FLUOROBOX", "Host": "127.0.0.1", "Port": listener.port, "AllowStorageCommitment": true],
        ])
        defer { orthanc.stop() }
        try await orthanc.waitUntilReady()
        try await waitUntilListening(box)
        let started = Date()
        let figures = try await drain(box, seconds: 60) { $0.sent == files.count }
        let seconds = Date().timeIntervalSince(started)
        await listener.stop()
        return OrthancRun(figures: figures, seconds: seconds, reports: reports.count, held: try await orthanc.sopInstanceUIDs())
    }

    @Test(
        "Orthanc as a dimse destination with storage commitment reports on its own association to the box's listener: the item settles as storage-commitment",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"),
        .enabled(if: OrthancProcess.available, "needs Debian's orthanc and orthanc-dicomweb (tools/install-deps)")
    )
    func orthancReportsLater() async throws {
        let run = try await sendToOrthanc("dimse-orthanc-commit", files: [Self.lossless], waitSeconds: 60)
        #expect(run.figures.sent == 1 && run.figures.sentByConfirmation == [SyncService.storageCommitment: 1], "\(run.figures)")
        #expect(run.reports == 1, "Orthanc's report came on its own association \(run.reports) times")
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + Self.lossless)))
        #expect(run.held == [try #require(try DICOMFile(bytes: original).dataSet.string(.sopInstanceUID))])
    }

    @Test(
        "a peer that reports on its own association is learnt: after the first item the box no longer holds each association for the wait (Orthanc)",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"),
        .enabled(if: OrthancProcess.available, "needs Debian's orthanc and orthanc-dicomweb (tools/install-deps)")
    )
    func orthancReportsLaterWithoutHoldingTheDestination() async throws {
        let files = [
            Self.lossless, "dicom/radiography/CR_extremity_RG3_UNCR_explicitLE_mono1_10bit.dcm",
            "dicom/radiography/CR_chest_RG1_UNCR_explicitLE_mono1_15bit_reference.dcm",
        ]
        let run = try await sendToOrthanc("dimse-orthanc-learnt", files: files, waitSeconds: 15)
        #expect(run.figures.sent == 3 && run.figures.sentByConfirmation == [SyncService.storageCommitment: 3], "\(run.figures)")
        // Waiting out 15 s on every association would take over 30 s for the three.
        #expect(run.seconds < 25, "three items took \(run.seconds) s")
        #expect(run.reports == 3, "\(run.reports) reports on Orthanc's own associations")
        #expect(run.held.count == 3)
    }
}
