import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Glibc
import StudyStore
import Sync
import Testing

/// A peer of the `dimse` destination run as a child process: dcmtk's storescp or
/// tools/python/commitment_scp.py (pynetdicom), stopped by its PID.
final class DIMSEPeerProcess: Sendable {
    let process: Process
    let port: Int
    let received: String

    init(_ executable: String, _ arguments: [String], port: Int, received: String) throws {
        self.port = port
        self.received = received
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// dcmtk storescp as `aeTitle`; without `acceptAll` it takes uncompressed syntaxes only.
    static func storescp(port: Int, aeTitle: String, received: String, acceptAll: Bool) throws -> DIMSEPeerProcess {
        try DIMSEPeerProcess(
            tool("storescp")!, ["-aet", aeTitle, "-od", received] + (acceptAll ? ["+xa"] : []) + ["\(port)"],
            port: port, received: received
        )
    }

    /// pynetdicom as a PACS with storage commitment (`commit`: success, failure or silent).
    /// `extra`: more arguments (`--report-to`, `--report-ae`).
    static func commitmentSCP(port: Int, aeTitle: String, folder: TemporaryDirectory, commit: String, extra: [String] = []) throws -> DIMSEPeerProcess {
        try DIMSEPeerProcess(
            TestData.packageRoot + "/.venv/bin/python",
            [TestData.packageRoot + "/tools/python/commitment_scp.py", "--port", "\(port)", "--ae", aeTitle,
             "--out", folder.file("received"), "--events", folder.file("events.jsonl"), "--commit", commit] + extra,
            port: port, received: folder.file("received")
        )
    }

    /// Files the peer wrote.
    var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []).sorted().map { received + "/" + $0 }
    }

    /// SIGKILL: storescp ignores SIGTERM; what the peer holds is the test's.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

@Suite("dimse destination: C-STORE with transfer syntax fallback and storage commitment", .serialized)
struct DIMSEDestinationTests {
    static let lossless = "dicom/radiography/CR_hip_RG2_JPLL_jpeg_lossless_sv1.dcm"
    static let lossy = "dicom/radiography/CR_chest_SIIM_jpeg_baseline_8bit.dcm"
    static var storescpAvailable: Bool { tool("storescp") != nil }
    static var pynetdicomAvailable: Bool { FileManager.default.isExecutableFile(atPath: TestData.packageRoot + "/.venv/bin/python") }

    struct Box {
        let store: StudyStore
        let destination: Destination
        let peer: DICOMPeer
        var settings: SyncSettings
    }

    /// `instances`: more instances to queue, as bytes.
    func box(
        _ folder: TemporaryDirectory, port: Int, files: [String], instances: [[UInt8]] = [], commitment: Bool = false, aeTitle: String = "PACS"
    ) async throws -> Box {
        let peer = DICOMPeer(aeTitle: aeTitle, host: "127.0.0.1", port: port)
        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("box")), destinations: [.dimse(peer.aeTitle)]),
            logger: quietLogger
        )
        for bytes in try files.map({ try Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + $0))) }) + instances {
            _ = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import), describe: ContentDescriber.describe)
        }
        var settings = SyncSettings()
        settings.backoff = BackoffPolicy(initial: 0.2, maximum: 0.5)
        settings.idlePollSeconds = 0.1
        settings.probeIntervalSeconds = 0.2
        settings.watchNetworkChanges = false
        if commitment { settings.dimse.commitmentPeers = [peer.aeTitle] }
        settings.dimse.callingAETitle = "FLUOROBOX"
        return Box(store: store, destination: .dimse(peer.aeTitle), peer: peer, settings: settings)
    }

    func backlog(_ box: Box) throws -> DestinationBacklog {
        try #require(try box.store.status().destinations.first { $0.destination == box.destination.rawValue })
    }

    /// Runs the destination's sync until `done` holds of its backlog (or the time is up).
    @discardableResult
    func drain(_ box: Box, seconds: Double = 60, until done: (DestinationBacklog) -> Bool) async throws -> DestinationBacklog {
        let service = SyncService.dimse(store: box.store, peer: box.peer, settings: box.settings, onReady: {}, logger: quietLogger)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        let deadline = Date().addingTimeInterval(seconds)
        var figures = try backlog(box)
        while Date() < deadline {
            figures = try backlog(box)
            if done(figures) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        running.cancel()
        _ = try? await running.value
        return try backlog(box)
    }

    func waitUntilListening(_ box: Box) async throws {
        let probe = DIMSEDestination(peer: box.peer, settings: box.settings, counters: SyncCounters(), logger: quietLogger)
        for _ in 0..<150 {
            if await probe.probe() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the peer at port \(box.peer.port) never answered C-ECHO")
    }

    func decodedFrames(_ bytes: [UInt8]) throws -> [[Int32]] {
        try DICOMImage(file: DICOMFile(bytes: bytes)).frames
    }

    @Test(
        "storescp taking only uncompressed syntaxes gets a JPEG lossless instance decoded to Explicit VR LE, pixels equal to the box's decode",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: storescpAvailable, "needs dcmtk's storescp")
    )
    func refusedSyntaxIsDecompressed() async throws {
        let folder = TemporaryDirectory("dimse-fallback")
        let port = LoopbackPort.free()
        let peer = try DIMSEPeerProcess.storescp(port: port, aeTitle: "PACS", received: folder.file("received"), acceptAll: false)
        defer { peer.stop() }
        let box = try await box(folder, port: port, files: [Self.lossless, Self.lossy])
        try await waitUntilListening(box)
        let figures = try await drain(box) { $0.sent + $0.rejected == 2 }
        #expect(figures.sent == 2 && figures.rejected == 0, "\(figures)")
        #expect(figures.sentByConfirmation == [DIMSEDestination.cStore: 2])
        let received = peer.files
        #expect(received.count == 2)
        for file in [Self.lossless, Self.lossy] {
            let original = try Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + file)))
            let uid = try #require(try DICOMFile(bytes: original).dataSet.string(.sopInstanceUID))
            let match = try received.map { try Array(Data(contentsOf: URL(fileURLWithPath: $0))) }
                .first { try DICOMFile(bytes: $0).dataSet.string(.sopInstanceUID) == uid }
            let copy = try #require(match, "storescp holds no \(uid)")
            #expect(try DICOMFile(bytes: copy).transferSyntax == .explicitVRLittleEndian)
            #expect(try decodedFrames(copy) == decodedFrames(original), "\(file): the pixels differ from the box's decode")
        }
    }

    @Test(
        "a JPEG baseline instance whose header says it was never lossy reaches storescp decoded, marked Lossy Image Compression 01 with method and measured ratio",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: storescpAvailable, "needs dcmtk's storescp"),
        .enabled(if: tool("dcmodify") != nil, "needs dcmtk's dcmodify")
    )
    func decodedLossyIsMarked() async throws {
        let folder = TemporaryDirectory("dimse-lossy-mark")
        // The shared file says 01 and ISO_10918_1 already; a copy that claims 00 and no method
        // shows the box writing the marks itself, not passing the modality's along.
        let copy = try folder.write("unmarked.dcm", Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + Self.lossy))))
        let modified = try await ProcessRunner.run(tool("dcmodify")!, ["-nb", "-imt", "-m", "(0028,2110)=00", "-ea", "(0028,2114)", "-ea", "(0028,2112)", copy])
        try #require(modified.status == 0, "dcmodify: \(modified.stderr)")
        let unmarked = try Array(Data(contentsOf: URL(fileURLWithPath: copy)))
        #expect(try DICOMFile(bytes: unmarked).dataSet.string(.lossyImageCompression) == "00")
        let port = LoopbackPort.free()
        let peer = try DIMSEPeerProcess.storescp(port: port, aeTitle: "PACS", received: folder.file("received"), acceptAll: false)
        defer { peer.stop() }
        let box = try await box(folder, port: port, files: [Self.lossless], instances: [unmarked])
        try await waitUntilListening(box)
        let figures = try await drain(box) { $0.sent + $0.rejected == 2 }
        #expect(figures.sent == 2, "\(figures)")
        let received = try peer.files.map { try DICOMFile(bytes: Array(Data(contentsOf: URL(fileURLWithPath: $0)))) }
        let lossyUID = try DICOMFile(bytes: unmarked).dataSet.string(.sopInstanceUID)
        let lossy = try #require(received.first { $0.dataSet.string(.sopInstanceUID) == lossyUID })
        #expect(lossy.transferSyntax == .explicitVRLittleEndian)
        #expect(lossy.dataSet.string(.lossyImageCompression) == "01")
        #expect(lossy.dataSet.string(.lossyImageCompressionMethod) == "ISO_10918_1")
        let ratio = try #require(lossy.dataSet.string(.lossyImageCompressionRatio).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) })
        #expect(ratio > 1, "ratio \(ratio)")
        #expect(try decodedFrames(Array(Data(contentsOf: URL(fileURLWithPath: copy)))) == DICOMImage(file: lossy).frames, "the pixels differ from the box's decode")
        // The lossless instance, decoded too, keeps its 00.
        let lossless = try #require(received.first { $0.dataSet.string(.sopInstanceUID) != lossyUID })
        #expect(lossless.dataSet.string(.lossyImageCompression) == "00")
        #expect(lossless.dataSet[.lossyImageCompressionRatio] == nil && lossless.dataSet[.lossyImageCompressionMethod] == nil)
    }

    @Test(
        "storescp accepting all syntaxes gets the instance as stored; commitment asked of a peer without it: sent on C-STORE, shown as such",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: storescpAvailable, "needs dcmtk's storescp")
    )
    func acceptedSyntaxIsSentAsStored() async throws {
        let folder = TemporaryDirectory("dimse-as-stored")
        let port = LoopbackPort.free()
        let peer = try DIMSEPeerProcess.storescp(port: port, aeTitle: "PACS", received: folder.file("received"), acceptAll: true)
        defer { peer.stop() }
        let box = try await box(folder, port: port, files: [Self.lossless], commitment: true)
        try await waitUntilListening(box)
        let figures = try await drain(box, seconds: 60) { $0.sent + $0.rejected == 1 }
        #expect(figures.sent == 1, "\(figures)")
        #expect(figures.sentByConfirmation == [DIMSEDestination.cStore: 1])
        let copy = try Array(Data(contentsOf: URL(fileURLWithPath: try #require(peer.files.first))))
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + Self.lossless)))
        #expect(try DICOMFile(bytes: copy).transferSyntax == .jpegLosslessSV1)
        #expect(try decodedFrames(copy) == decodedFrames(original))
    }

    @Test(
        "a peer that is down: the item waits with backoff, then is delivered once when the peer comes up",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: storescpAvailable, "needs dcmtk's storescp")
    )
    func downThenUp() async throws {
        let folder = TemporaryDirectory("dimse-down")
        let port = LoopbackPort.free()
        var box = try await box(folder, port: port, files: [Self.lossy])
        box.settings.backoff = BackoffPolicy(initial: 0.2, maximum: 1)
        let service = SyncService.dimse(store: box.store, peer: box.peer, settings: box.settings, onReady: {}, logger: quietLogger)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        var figures = try backlog(box)
        for _ in 0..<100 {
            figures = try backlog(box)
            if figures.lastError?.contains("cannot be reached") == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(figures.sent == 0 && figures.queued == 1, "\(figures)")
        #expect(figures.lastError?.contains("cannot be reached") == true, "\(figures.lastError ?? "no error")")
        try await Task.sleep(for: .seconds(1))
        let peer = try DIMSEPeerProcess.storescp(port: port, aeTitle: "PACS", received: folder.file("received"), acceptAll: false)
        defer { peer.stop() }
        for _ in 0..<300 where try backlog(box).sent != 1 {
            try await Task.sleep(for: .milliseconds(100))
        }
        // Time for a second delivery, were there going to be one.
        try await Task.sleep(for: .seconds(1))
        running.cancel()
        _ = try? await running.value
        #expect(try backlog(box).sent == 1)
        #expect(peer.files.count == 1)
    }

    @Test(
        "Orthanc as a dimse destination holds the JPEG lossless instance, sent on C-STORE success",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"),
        .enabled(if: OrthancProcess.available, "needs Debian's orthanc and orthanc-dicomweb (tools/install-deps)")
    )
    func orthanc() async throws {
        let folder = TemporaryDirectory("dimse-orthanc")
        let dicomPort = LoopbackPort.free()
        let orthanc = try OrthancProcess(folder: folder, dicomPort: dicomPort)
        defer { orthanc.stop() }
        try await orthanc.waitUntilReady()
        let box = try await box(folder, port: dicomPort, files: [Self.lossless], aeTitle: "ORTHANC")
        try await waitUntilListening(box)
        let figures = try await drain(box, seconds: 30) { $0.sent + $0.rejected == 1 }
        #expect(figures.sent == 1 && figures.sentByConfirmation == [DIMSEDestination.cStore: 1], "\(figures)")
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + Self.lossless)))
        let uid = try #require(try DICOMFile(bytes: original).dataSet.string(.sopInstanceUID))
        #expect(try await orthanc.sopInstanceUIDs() == [uid])
    }

    struct Event: Decodable {
        var event: String
        var sop_instance_uid: String?
        var transaction_uid: String?
        var committed: [String]?
        var failed: [String]?
        var answer: Int?
        var association: String?
    }

    func events(_ folder: TemporaryDirectory) -> [Event] {
        let text = (try? String(contentsOfFile: folder.file("events.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
    }

    /// pynetdicom listening as PACS, and a box with the lossy instance queued for it, commitment asked.
    func commitmentPeer(_ label: String, commit: String, extra: [String] = []) async throws -> (TemporaryDirectory, DIMSEPeerProcess, Box) {
        let folder = TemporaryDirectory(label)
        let port = LoopbackPort.free()
        let peer = try DIMSEPeerProcess.commitmentSCP(port: port, aeTitle: "PACS", folder: folder, commit: commit, extra: extra)
        let box = try await box(folder, port: port, files: [Self.lossy], commitment: true)
        try await waitUntilListening(box)
        return (folder, peer, box)
    }

    @Test(
        "pynetdicom commits: the item is sent only with the report, recorded as storage-commitment",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func commitmentSuccess() async throws {
        let (folder, peer, box) = try await commitmentPeer("dimse-commit", commit: "success")
        defer { peer.stop() }
        let figures = try await drain(box) { $0.sent == 1 }
        #expect(figures.sent == 1 && figures.awaitingCommitment == 0, "\(figures)")
        #expect(figures.sentByConfirmation == [SyncService.storageCommitment: 1])
        let seen = events(folder)
        let stored = seen.filter { $0.event == "store" }
        #expect(stored.count == 1)
        let report = try #require(seen.first { $0.event == "report" })
        #expect(report.committed == stored.compactMap(\.sop_instance_uid))
    }

    @Test(
        "pynetdicom reports a failure: the item is not sent, it is sent again",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func commitmentFailure() async throws {
        let (folder, peer, box) = try await commitmentPeer("dimse-commit-fail", commit: "failure")
        defer { peer.stop() }
        let figures = try await drain(box, seconds: 60) { _ in events(folder).filter { $0.event == "report" }.count >= 2 }
        #expect(figures.sent == 0 && figures.queued + figures.sending == 1, "\(figures)")
        #expect(figures.lastError?.contains("did not commit") == true, "\(figures.lastError ?? "no error")")
        let reports = events(folder).filter { $0.event == "report" }
        #expect(reports.count >= 2, "a failed commitment is tried again")
        #expect(reports.allSatisfy { $0.committed?.isEmpty == true && $0.failed?.count == 1 })
    }

    @Test(
        "pynetdicom never reports: the item waits as awaiting commitment with the reason, then is sent again after the timeout",
        .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)"), .enabled(if: pynetdicomAvailable, "no .venv with pynetdicom")
    )
    func commitmentNeverComes() async throws {
        var (folder, peer, box) = try await commitmentPeer("dimse-commit-silent", commit: "silent")
        defer { peer.stop() }
        box.settings.dimse.commitmentWaitSeconds = 1
        box.settings.dimse.commitmentTimeoutSeconds = 4
        let service = SyncService.dimse(store: box.store, peer: box.peer, settings: box.settings, onReady: {}, logger: quietLogger)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        var figures = try backlog(box)
        for _ in 0..<200 where figures.awaitingCommitment != 1 {
            try await Task.sleep(for: .milliseconds(50))
            figures = try backlog(box)
        }
        #expect(figures.awaitingCommitment == 1 && figures.sent == 0 && figures.queued == 1, "\(figures)")
        #expect(figures.lastError?.contains("awaiting its storage commitment") == true, "\(figures.lastError ?? "no error")")
        #expect(events(folder).filter { $0.event == "n-action" }.count == 1)
        // Still awaiting, not re-sent, before the timeout.
        try await Task.sleep(for: .seconds(2))
        #expect(try backlog(box).sent == 0)
        #expect(events(folder).filter { $0.event == "store" }.count == 1)
        // After it: sent again, its commitment asked anew; still not marked sent.
        for _ in 0..<100 where events(folder).filter({ $0.event == "n-action" }).count < 2 {
            try await Task.sleep(for: .milliseconds(100))
        }
        running.cancel()
        _ = try? await running.value
        #expect(events(folder).filter { $0.event == "store" }.count == 2)
        #expect(events(folder).filter { $0.event == "n-action" }.count == 2)
        #expect(try backlog(box).sent == 0)
    }
}
