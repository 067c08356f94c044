import DICOM
import Foundation
import FluoroboxTestSupport
import POSIXSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("Lossless re-encoded uploads (sync.losslessUploads)", .serialized)
struct LosslessUploadTests {
    @Test("through cut connections the hub receives JPEG-LS copies under the original keys, with the same pixels; noise goes as it is; the box keeps its originals")
    func hubReceivesSmallerCopies() async throws {
        let box = TemporaryDirectory("lossless-box")
        let hubDirectory = TemporaryDirectory("lossless-hub")
        let directory = DataDirectory(path: box.path)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        var originals: [String: [UInt8]] = [:]
        for index in 0..<3 {
            let study = "1.2.826.0.1.3680043.10.2003.\(index)", sop = study + ".1"
            let bytes = index < 2
                ? try SyntheticDICOM.radiograph(rows: 320, columns: 256, sopInstanceUID: sop, studyInstanceUID: study)
                : try SyntheticDICOM.make(sopInstanceUID: sop, studyInstanceUID: study, payload: SyntheticDICOM.randomBytes(96 * 1024))
            let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, detail: "lossless upload test")) { _ in
                InstanceDescription(sopInstanceUID: sop, studyInstanceUID: study, uidsGenerated: false, format: .dicom, modality: "DX")
            }
            originals[OutboxItemRecord.instanceKey(sopInstanceUID: sop, sha256: receipt.sha256)] = bytes
        }

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        // The first connections are cut mid-chunk: the retries resume from the copy on disk.
        let proxy = try FaultProxy(upstreamPort: hubPort) { $0 < 3 ? .cutAfter(20_000) : .pass }
        defer { proxy.stop() }

        var settings = SyncDeliveryTests.settings(proxyPort: proxy.port, chunkBytes: 16 * 1024)
        settings.watchNetworkChanges = false
        #expect(settings.losslessUploads, "on by default")
        let service = try SyncService.platform(store: store, settings: settings, onReady: {}, logger: quietLogger)
        let drain = Task { try await service.run() }
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, try SyncFixture.platformStates(store)["sent", default: 0] < originals.count {
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value
        #expect(try SyncFixture.platformStates(store)["sent"] == originals.count)

        let held = try await HubList.items(dataDirectory: hubDirectory.path)
        #expect(Set(held.map(\.key)) == Set(originals.keys), "the keys are the originals'")
        var saved: Int64 = 0
        for item in held {
            let original = try #require(originals[item.key])
            let bytes = Array(try #require(FileManager.default.contents(atPath: hubDirectory.path + "/items/" + item.sha256)))
            let before = try DICOMFile(bytes: original), after = try DICOMFile(bytes: bytes)
            if before.dataSet[.rows] != nil {
                #expect(after.transferSyntax == .jpegLSLossless)
                #expect(bytes.count < original.count / 2, "\(bytes.count) of \(original.count)")
                #expect(try DICOMImage(file: after).frames == DICOMImage(file: before).frames, "pixels differ for \(item.key)")
                #expect(after.dataSet.string(.patientName) == before.dataSet.string(.patientName))
                saved += Int64(original.count - bytes.count)
            } else {
                #expect(bytes == original, "random pixels should go as they are")
            }
        }
        #expect(proxy.counts.connections > 3, "the cut connections were not used")
        let counted = service.counters.snapshot
        #expect(counted.recodedUploads == 2)
        #expect(counted.uploadBytesSaved == saved)
        #expect(counted.resumedUploads > 0, "no upload resumed after a cut")

        // The box keeps its originals untouched, and no copy is left behind.
        for (key, original) in originals {
            let sha = String(key.split(separator: ":").last ?? "")
            let blob = FileManager.default.contents(atPath: directory.absolute(DataDirectory.relativeBlobPath(sha256: sha)))
            #expect(blob.map(Array.init) == original, "blob of \(key)")
        }
        #expect(((try? Posix.directoryEntries(box.path + "/sync/pseudonymised")) ?? []).isEmpty)
    }
}
