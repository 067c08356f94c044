import Appliance
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import FluoroboxTestSupport
import Glibc
import StudyStore
import Sync
import Testing

/// Debian's Orthanc with its DICOMweb plugin, on loopback with its own configuration.
final class OrthancProcess: Sendable {
    static let binary = "/usr/sbin/Orthanc"
    static let plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.fileExists(atPath: plugin)
    }

    let process: Process
    let port: Int

    /// `dicomPort`: Orthanc's own DICOM listener (AE title ORTHANC, any calling AE), else none.
    /// `modalities`: Orthanc's DicomModalities (where it sends storage commitment reports).
    init(folder: TemporaryDirectory, dicomPort: Int? = nil, modalities: [String: [String: Any]] = [:]) throws {
        port = HubProcess.freePort()
        let storage = folder.file("orthanc-db")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        var configuration: [String: Any] = [
            "Name": "fluorobox-test-pacs",
            "StorageDirectory": storage, "IndexDirectory": storage,
            "HttpPort": port, "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
            "DicomServerEnabled": dicomPort != nil, "DicomPort": dicomPort ?? 4242, "DicomAet": "ORTHANC",
            "DicomCheckCalledAet": false, "HttpServerEnabled": true,
            "Plugins": [Self.plugin],
            "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
        ]
        if !modalities.isEmpty { configuration["DicomModalities"] = modalities }
        let path = folder.file("orthanc.json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: path))
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func waitUntilReady() async throws {
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if let (_, status) = try? await get("/system"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    func get(_ path: String) async throws -> (Data, Int) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url + path)!)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    /// SOP Instance UIDs Orthanc holds, through its REST API.
    func sopInstanceUIDs() async throws -> [String] {
        let (data, _) = try await get("/instances?expand")
        let instances = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return instances.compactMap { ($0["MainDicomTags"] as? [String: Any])?["SOPInstanceUID"] as? String }
    }

    /// SIGKILL: Orthanc's own SIGTERM shutdown can take minutes; its data is a test's.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

@Suite("STOW-RS to a real Orthanc", .serialized)
struct OrthancSTOWTests {
    @Test("instances reach Orthanc by STOW-RS once each; a non-DICOM instance is refused with a reason and stays visible", .enabled(if: OrthancProcess.available, "needs Debian's orthanc and orthanc-dicomweb (tools/install-deps)"))
    func stowToOrthanc() async throws {
        let folder = TemporaryDirectory("sync-orthanc")
        let orthanc = try OrthancProcess(folder: folder)
        defer { orthanc.stop() }
        try await orthanc.waitUntilReady()

        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("box")), destinations: [.dicomweb]),
            logger: quietLogger
        )
        var expectedUIDs: Set<String> = []
        for seed in 1...3 {
            let bytes = try DemoStudy.makePart10(seed: UInt64(40 + seed), size: 64)
            let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import), describe: ContentDescriber.describe)
            expectedUIDs.insert(receipt.sopInstanceUID)
        }
        let png = PNGFixture.gray8(width: 8, height: 8, samples: Array(repeating: 128, count: 64))
        _ = try await store.ingest(.bytes(png), origin: IntakeOrigin(source: .import), describe: ContentDescriber.describe)

        var settings = SyncSettings()
        settings.backoff = BackoffPolicy(initial: 0.1, maximum: 1)
        settings.idlePollSeconds = 0.1
        let counters = SyncCounters()
        let destination = try DICOMwebDestination(baseURL: orthanc.url + "/dicom-web", settings: settings, counters: counters, logger: quietLogger)
        let service = SyncService(store: store, destination: destination, settings: settings, counters: counters, logger: quietLogger)
        let drain = Task { try await service.run() }
        let deadline = Date().addingTimeInterval(60)
        var backlog = DestinationBacklog(destination: "dicomweb")
        while Date() < deadline {
            backlog = try #require(try store.status().destinations.first { $0.destination == "dicomweb" })
            if backlog.sent + backlog.rejected == 4 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value

        #expect(backlog.sent == 3 && backlog.rejected == 1, "\(backlog)")
        let held = try await orthanc.sopInstanceUIDs()
        #expect(Set(held) == expectedUIDs)
        #expect(held.count == 3)
        let problems = try store.status().recentProblems.filter { $0.kind == "outbox.rejected" }
        #expect(problems.contains { $0.message.contains("not DICOM") })

        // STOW-RS of the same instance again (a retry after a lost answer) leaves one copy.
        let queue = try GRDBRequeue.requeueSent(store, destination: "dicomweb")
        #expect(queue == 3)
        let secondService = SyncService(
            store: store,
            destination: try DICOMwebDestination(baseURL: orthanc.url + "/dicom-web", settings: settings, counters: counters, logger: quietLogger),
            settings: settings, counters: counters, logger: quietLogger
        )
        let second = Task { try await secondService.run() }
        let until = Date().addingTimeInterval(30)
        while Date() < until, try store.status().destinations.first(where: { $0.destination == "dicomweb" })?.sent != 3 {
            try await Task.sleep(for: .milliseconds(100))
        }
        second.cancel()
        _ = try? await second.value
        #expect(try store.status().destinations.first(where: { $0.destination == "dicomweb" })?.sent == 3, "the second STOW-RS round did not finish")
        #expect(try await orthanc.sopInstanceUIDs().count == 3)
    }
}
