import FluoroboxTestSupport
import Foundation
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("A box enrols with the hub and then syncs over mutual TLS", .serialized)
struct EnrolmentSyncTests {
    @Test("the real sync client enrols with a one-time token, switches to mutual TLS without a restart and uploads as its certificate's device; another device can neither read nor write its data")
    func enrolThenUpload() async throws {
        let folder = TemporaryDirectory("sync-enrol")
        let pki = try await EnrolmentKit.makeTestPKI(in: folder)
        let hubData = folder.file("hub")
        try await EnrolmentKit.hub(HubProcess.binary, ["ca", "init", "--dir", folder.file("device-ca")])
        let port = HubProcess.freePort()
        let hub = HubProcess(
            dataDirectory: hubData, port: port,
            arguments: ["--tls-cert", pki + "/hub.pem", "--tls-key", pki + "/hub.key", "--device-ca-dir", folder.file("device-ca")]
        )
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()

        // First boot: key and certificate request; no certificate yet.
        let device = "box-enrol-1"
        let (key, csr) = try await EnrolmentKit.deviceRequest(in: folder.file("box-tls"), device: device)
        let certificatePath = folder.file("box-tls") + "/device.crt"
        var settings = SyncSettings()
        settings.hubURL = "https://127.0.0.1:\(port)"
        settings.deviceID = device
        settings.chunkBytes = 65_536
        settings.backoff.initial = 0.2
        settings.backoff.maximum = 1
        settings.tls = SyncTLSSettings(certificatePath: certificatePath, privateKeyPath: key, trustedCAPath: pki + "/ca.pem", certificateRequestPath: csr)

        // A wrong token: refused with the hub's reason, nothing written, nothing crashes.
        var wrong = settings
        wrong.enrolmentToken = "fbx-enrol-not-a-token"
        let refusedClient = try PlatformClient(settings: wrong, counters: SyncCounters(), logger: quietLogger)
        await #expect(performing: { try await refusedClient.enrolIfNeeded() }, throws: { error in
            (error as? SyncError)?.code == .refused && "\(error)".contains("unknown enrolment token")
        })
        #expect(!FileManager.default.fileExists(atPath: certificatePath))
        await refusedClient.shutdown()

        settings.enrolmentToken = try await EnrolmentKit.hub(HubProcess.binary, ["enrolment", "create", "--data-dir", hubData, "--device", device])
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("box"))), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 2, instanceBytes: 200_000, results: 3, seed: 21)
        let counters = SyncCounters()
        let client = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        // Another client of the same agent (model updates), made before enrolment.
        let sibling = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        #expect(client.awaitingCertificate && sibling.awaitingCertificate)
        let service = SyncService(store: store, destination: PlatformDestination(client: client), settings: settings, counters: counters, logger: quietLogger)
        let drain = Task { try await service.run() }
        let states = try await SyncFixture.waitUntilSettled(store, count: expected.all.count, seconds: 90)
        drain.cancel()
        _ = try? await drain.value
        #expect(states["sent", default: 0] == expected.all.count, "\(states)")

        #expect(!client.awaitingCertificate)
        let described = try await EnrolmentKit.describe(certificate: certificatePath)
        #expect(described.contains("CN = \(device)") || described.contains("CN=\(device)"), "\(described)")
        let held = try await HubList.items(dataDirectory: hubData)
        #expect(Set(held.map(\.key)) == expected.all)
        #expect(Set(held.map(\.device)) == [device])
        // The sibling follows without a restart once the certificate is on disk.
        #expect(!sibling.awaitingCertificate)
        #expect(try await sibling.hello(version: "test") != nil)
        await sibling.shutdown()
        await client.shutdown()

        // A second device enrols (curl, as an independent client) and tries the first's data.
        let (otherKey, otherCSR) = try await EnrolmentKit.deviceRequest(in: folder.file("other-tls"), device: "box-enrol-2")
        let otherToken = try await EnrolmentKit.hub(HubProcess.binary, ["enrolment", "create", "--data-dir", hubData])
        let ca = pki + "/ca.pem"
        let enrolled = try await EnrolmentKit.curl(
            port: port, "POST", "/v1/enrolment", ca: ca, json: try EnrolmentKit.enrolmentBody(token: otherToken, csrPath: otherCSR)
        )
        #expect(enrolled.status == 201, "\(enrolled.body)")
        let otherCertificate = folder.file("other-tls") + "/device.crt"
        try EnrolmentKit.keepCertificate(enrolled, at: otherCertificate)
        let listing = try await EnrolmentKit.curl(port: port, "GET", "/v1/items", ca: ca, certificate: otherCertificate, key: otherKey)
        #expect(listing.status == 200 && listing.body.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(listing.status) \(listing.body)")
        let someResult = try #require(expected.results.keys.sorted().first)
        let posing = try await EnrolmentKit.curl(
            port: port, "PUT", "/v1/results/\(someResult)", ca: ca, certificate: otherCertificate, key: otherKey,
            json: "{}", headers: ["Fluorobox-Device: \(device)"]
        )
        #expect(posing.status == 403, "\(posing.status) \(posing.body)")
        let someInstance = try #require(expected.instances.keys.sorted().first)
        let peek = try await EnrolmentKit.curl(port: port, "HEAD", "/v1/instances/\(someInstance)", ca: ca, certificate: otherCertificate, key: otherKey)
        #expect(peek.status == 200 && peek.body.lowercased().contains("upload-complete: ?0"), "\(peek.status) \(peek.body)")
        let after = try await HubList.items(dataDirectory: hubData)
        #expect(after.filter { $0.device == device }.count == expected.all.count)
        #expect(after.filter { $0.device != device }.isEmpty, "the second device wrote something: \(after.filter { $0.device != device })")
    }
}
