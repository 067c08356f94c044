import Foundation
import FluoroboxTestSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("Mutual TLS between the box and the hub", .serialized)
struct MutualTLSTests {
    /// A fresh test PKI from tools/pki/make-test-pki (openssl).
    static func makePKI(_ folder: TemporaryDirectory) async throws -> String {
        let pki = folder.file("pki")
        let script = URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent("tools/pki/make-test-pki").path
        let result = try await ProcessRunner.run("/bin/bash", [script, pki, "box-test-1"])
        guard result.status == 0 else {
            Issue.record("make-test-pki failed: \(result.stderr)")
            throw POSIXError(.EIO)
        }
        return pki
    }

    static func startHub(_ folder: TemporaryDirectory, pki: String, certificate: String, extra: [String] = []) async throws -> (HubProcess, Int) {
        let port = HubProcess.freePort()
        let hub = HubProcess(
            dataDirectory: folder.file("hub-\(certificate)"), port: port,
            arguments: ["--tls-cert", "\(pki)/\(certificate).pem", "--tls-key", "\(pki)/\(certificate).key", "--tls-client-ca", "\(pki)/ca.pem"] + extra
        )
        try hub.start()
        try await hub.waitUntilListening()
        return (hub, port)
    }

    /// A client with the certificate `device` of the PKI, calling itself `deviceID`.
    static func client(port: Int, pki: String, device: String, deviceID: String = "box-test-1") throws -> PlatformClient {
        var settings = SyncSettings()
        settings.hubURL = "https://127.0.0.1:\(port)"
        settings.deviceID = deviceID
        settings.connectTimeoutSeconds = 3
        settings.readTimeoutSeconds = 3
        settings.tls = SyncTLSSettings(
            certificatePath: "\(pki)/\(device).pem", privateKeyPath: "\(pki)/\(device).key", trustedCAPath: "\(pki)/ca.pem"
        )
        return try PlatformClient(settings: settings, counters: SyncCounters(), logger: quietLogger)
    }

    static func curl(_ arguments: [String]) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"] + arguments)
    }

    @Test("a box with its certificate syncs over HTTPS; the hub refuses missing, wrong-CA, self-signed and expired client certificates, and TLS 1.1")
    func hubRefusesBadClients() async throws {
        let folder = TemporaryDirectory("sync-tls")
        let pki = try await Self.makePKI(folder)
        let (hub, port) = try await Self.startHub(folder, pki: pki, certificate: "hub")
        defer { hub.stop() }

        // The real thing: a sync drain over mutual TLS.
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("box"))), logger: quietLogger)
        let expected = try await SyncFixture.fill(store, instances: 2, instanceBytes: 200_000, results: 3, seed: 8)
        var settings = SyncSettings()
        settings.hubURL = "https://127.0.0.1:\(port)"
        settings.deviceID = "box-test-1"
        settings.chunkBytes = 65_536
        settings.tls = SyncTLSSettings(certificatePath: "\(pki)/device.pem", privateKeyPath: "\(pki)/device.key", trustedCAPath: "\(pki)/ca.pem")
        let counters = SyncCounters()
        let good = try PlatformClient(settings: settings, counters: counters, logger: quietLogger)
        #expect(await good.probe())
        let service = SyncService(store: store, destination: PlatformDestination(client: good), settings: settings, counters: counters, logger: quietLogger)
        let drain = Task { try await service.run() }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try SyncFixture.platformStates(store)["sent", default: 0] < expected.all.count {
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value
        let held = try await HubList.items(dataDirectory: folder.file("hub-hub"))
        #expect(Set(held.map(\.key)) == expected.all)

        // Devices with bad certificates get nowhere, through the box's own client.
        for device in ["wrong-ca-device", "self-signed-device", "expired-device"] {
            let client = try Self.client(port: port, pki: pki, device: device)
            #expect(await client.probe() == false, "\(device) was let in")
            await #expect(throws: SyncError.self, "\(device) was let in") {
                _ = try await client.putDocument(collection: "results", key: "result:x:\(device)", body: Array("{}".utf8))
            }
            await client.shutdown()
        }

        // curl as an independent client: accepted with the device certificate, refused without one
        // or with a bad one, and refused when it offers nothing newer than TLS 1.1.
        let base = ["--cacert", "\(pki)/ca.pem", "https://127.0.0.1:\(port)/v1/health"]
        let accepted = try await Self.curl(["--cert", "\(pki)/device.pem", "--key", "\(pki)/device.key"] + base)
        #expect(accepted.stdout == "204", "\(accepted.stdout) \(accepted.stderr)")
        let missing = try await Self.curl(base)
        #expect(missing.stdout != "204" && missing.stderr.contains("certificate required"), "a client without a certificate: \(missing.stdout) \(missing.stderr)")
        for device in ["wrong-ca-device", "self-signed-device", "expired-device"] {
            let refused = try await Self.curl(["--cert", "\(pki)/\(device).pem", "--key", "\(pki)/\(device).key"] + base)
            #expect(refused.stdout != "204", "curl with \(device) was let in")
        }
        let old = try await Self.curl(["--tlsv1.0", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0", "--cert", "\(pki)/device.pem", "--key", "\(pki)/device.key"] + base)
        #expect(old.stdout != "204" && old.stderr.contains("protocol version"), "TLS 1.1: \(old.stdout) \(old.stderr)")
        await good.shutdown()
    }

    @Test("the box refuses hubs with wrong-CA, self-signed and expired certificates")
    func boxRefusesBadHubs() async throws {
        let folder = TemporaryDirectory("sync-tls-hub")
        let pki = try await Self.makePKI(folder)
        for certificate in ["wrong-ca-hub", "self-signed-hub", "expired-hub"] {
            let (hub, port) = try await Self.startHub(folder, pki: pki, certificate: certificate)
            defer { hub.stop() }
            let client = try Self.client(port: port, pki: pki, device: "device")
            #expect(await client.probe() == false, "the box trusted \(certificate)")
            do {
                _ = try await client.hello(version: "test")
                Issue.record("the box said hello to \(certificate)")
            } catch {
                #expect(error.code == .unreachable)
                #expect("\(error)".lowercased().contains("certificate") || "\(error)".contains("handshake") || "\(error)".contains("SSL"), "\(error)")
            }
            await client.shutdown()
            let held = try await HubList.items(dataDirectory: folder.file("hub-\(certificate)"))
            #expect(held.isEmpty)
        }
    }
}
