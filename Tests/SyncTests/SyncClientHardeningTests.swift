import Crypto
import Foundation
import FluoroboxTestSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("The box checks what the hub says and how it is reached", .serialized)
struct SyncClientHardeningTests {
    static func blob(_ folder: TemporaryDirectory, bytes: [UInt8]) throws -> OutboxBlob {
        let path = try folder.write("blob", bytes)
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return OutboxBlob(path: path, size: Int64(bytes.count), sha256: sha, sopInstanceUID: "1.2.3", studyInstanceUID: "1.2", format: .dicom)
    }

    static func client(port: Int) throws -> PlatformClient {
        var settings = SyncDeliveryTests.settings(proxyPort: port, chunkBytes: 65_536)
        settings.readTimeoutSeconds = 5
        return try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
    }

    @Test("a hub that answers HEAD or PUT with \"complete\" for another size or SHA-256, or without saying which, does not get the item marked sent")
    func lyingCompleteIsNotDelivered() async throws {
        let folder = TemporaryDirectory("sync-lying-hub")
        let bytes = SyntheticDICOM.randomBytes(1000)
        let blob = try Self.blob(folder, bytes: bytes)
        let otherSHA = String(repeating: "ab", count: 32)
        let lies: [[String]] = [
            ["Upload-Complete: ?1", "Upload-Offset: 5", "Content-SHA256: \(blob.sha256)"], // another size
            ["Upload-Complete: ?1", "Upload-Offset: 1000", "Content-SHA256: \(otherSHA)"], // other bytes
            ["Upload-Complete: ?1", "Upload-Offset: 1000"], // will not say which bytes
        ]
        for lie in lies {
            // The lie in the answer to HEAD (a resumed upload asks first) and to the PUT.
            for method in ["HEAD", "PUT"] {
                let hub = try LyingHub(answers: [method: lie, method == "HEAD" ? "PUT" : "HEAD": ["Upload-Complete: ?0", "Upload-Offset: 0"]])
                defer { hub.stop() }
                let client = try Self.client(port: hub.port)
                do {
                    let outcome = try await client.uploadInstance(key: "instance:1.2.3:\(blob.sha256)", blob: blob, resume: true)
                    Issue.record("\(method) answered \(lie): the box took \(outcome)")
                } catch {
                    #expect(error.code == .protocolViolation && error.detail.contains("not marked sent") && error.detail.contains(blob.sha256), "\(error)")
                }
                await client.shutdown()
            }
        }
    }

    /// The generated client (PlatformAPIClient) keeps the retry classification: what the
    /// document cannot read is not all one thing. A proxy's 5xx page is retried like any 5xx; a
    /// 4xx the document does not list is final for hello and heartbeat; a 200 without the
    /// platform's clock breaks the contract and says so instead of passing for "no reading".
    @Test("hello through the generated client: a proxy's 5xx page is retried, an unlisted 4xx refused with its detail, a 200 without serverTime a protocol violation")
    func generatedClientClassifiesAnswers() async throws {
        let cases: [(status: String, headers: [String], body: String, code: SyncErrorCode, detail: String)] = [
            ("503 Service Unavailable", ["Content-Type: text/html"], "<html>the proxy is busy</html>", .serverError, "503"),
            ("502 Bad Gateway", [], "", .serverError, "502"),
            ("404 Not Found", ["Content-Type: application/json"], #"{"error":"not found","detail":"no such route here"}"#, .refused, "no such route here"),
            ("200 OK", ["Content-Type: application/json"], #"{"device":"box-test-1"}"#, .protocolViolation, "serverTime"),
        ]
        for answer in cases {
            let hub = try LyingHub(answers: ["POST": answer.headers], status: answer.status, body: answer.body)
            defer { hub.stop() }
            let client = try Self.client(port: hub.port)
            do {
                let reading = try await client.timedHello(version: "1.0")
                Issue.record("\(answer.status): the box took \(String(describing: reading))")
            } catch {
                #expect(error.code == answer.code && error.detail.contains(answer.detail), "\(answer.status): \(error)")
            }
            #expect(hub.requests.first?.hasPrefix("POST /v1/devices/") == true, "\(hub.requests)")
            await client.shutdown()
        }
    }

    @Test("the box refuses an http:// hub URL unless sync.allowPlainHTTP is set; https needs the TLS files")
    func plainHTTPHubRefused() async throws {
        var settings = SyncSettings()
        settings.hubURL = "http://hub.example:8443"
        do {
            let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
            await client.shutdown()
            Issue.record("the box accepted a plain-HTTP hub URL without sync.allowPlainHTTP")
        } catch {
            #expect(error.code == .configuration && error.detail.contains("sync.allowPlainHTTP"), "\(error)")
        }
        settings.allowPlainHTTP = true
        let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
        await client.shutdown()
    }

    @Test("with sync.pseudonymise a JPEG or PNG instance is rejected with its reason, never uploaded as it is")
    func nonDICOMNotUploadedWhenPseudonymising() async throws {
        let box = TemporaryDirectory("pseudo-jpeg-box")
        let hubDirectory = TemporaryDirectory("pseudo-jpeg-hub")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        // The bytes need not decode: what matters is that nothing of them leaves the box.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1] + Array("Exif Ivanova^Anna".utf8) + SyntheticDICOM.randomBytes(500) + [0xFF, 0xD9]
        _ = try await store.ingest(.bytes(jpeg), origin: IntakeOrigin(source: .import, detail: "jpeg test")) { _ in
            InstanceDescription(sopInstanceUID: "2.25.1234", studyInstanceUID: "2.25.123", uidsGenerated: true, format: .jpeg, modality: "OT")
        }
        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        var settings = SyncDeliveryTests.settings(proxyPort: hubPort, chunkBytes: 65_536)
        settings.pseudonymise = true
        settings.watchNetworkChanges = false
        let service = try SyncService.platform(store: store, settings: settings, onReady: {}, logger: quietLogger)
        let drain = Task { try await service.run() }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try SyncFixture.platformStates(store)["queued", default: 0] + SyncFixture.platformStates(store)["sending", default: 0] > 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value
        #expect(try SyncFixture.platformStates(store) == ["rejected": 1])
        #expect(try await HubList.items(dataDirectory: hubDirectory.path).isEmpty)
    }
}
