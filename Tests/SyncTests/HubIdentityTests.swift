import Crypto
import Foundation
import FluoroboxTestSupport
import Testing

@Suite("The hub identifies a device by its client certificate and keeps keys per device", .serialized)
struct HubIdentityTests {
    static func sha(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// "device" is box-test-1, "other-device" box-test-2, both from the same CA.
    @Test("with box-test-1's certificate, acting for box-test-2 is 403; box-test-2 may use box-test-1's key strings and sees none of its items")
    func certificateIsTheIdentity() async throws {
        let folder = TemporaryDirectory("hub-identity")
        let pki = try await MutualTLSTests.makePKI(folder)
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub")
        defer { hub.stop() }
        let hubCall = HubCall(port: port, pki: pki)

        // A header or a path naming another device.
        let asOther = try await hubCall.call("PUT", "/v1/reports/report:forged", headers: ["Fluorobox-Device: box-test-2"], body: #"{"forged":true}"#)
        #expect(asOther.status == 403, "a report written as another device: \(asOther.status) \(asOther.body)")
        let helloOther = try await hubCall.call("POST", "/v1/devices/box-test-2/hello", body: #"{"version":"x"}"#)
        #expect(helloOther.status == 403, "hello as another device: \(helloOther.status)")
        let helloSelf = try await hubCall.call("POST", "/v1/devices/box-test-1/hello", body: #"{"version":"x"}"#)
        #expect(helloSelf.status == 200)

        // The header may name the device itself, or be left out.
        let named = try await hubCall.call("PUT", "/v1/results/result:shared", headers: ["Fluorobox-Device: box-test-1"], body: Self.result("a"))
        #expect(named.status == 201)
        let unnamed = try await hubCall.call("PUT", "/v1/results/result:shared", body: Self.result("a"))
        #expect(unnamed.status == 200, "the same document again: \(unnamed.status)")

        // box-test-2's namespace: the same key string with other content is its own item.
        let other = try await hubCall.call(as: "other-device", "PUT", "/v1/results/result:shared", body: Self.result("b"))
        #expect(other.status == 201, "box-test-2 could not use a key box-test-1 holds: \(other.status) \(other.body)")

        // An instance of box-test-1's; box-test-2 asks about the same key and sees nothing.
        let bytes = "abcd"
        let upload = try await hubCall.call("PUT", "/v1/instances/instance:1.2.3:abcd", headers: [
            "Upload-Offset: 0", "Upload-Length: 4", "Content-SHA256: \(Self.sha(bytes))", "Content-Type: application/octet-stream",
        ], body: bytes)
        #expect(upload.status == 201, "\(upload.status) \(upload.body)")
        let otherHead = try await hubCall.call(as: "other-device", "HEAD", "/v1/instances/instance:1.2.3:abcd")
        #expect(otherHead.status == 200 && otherHead.headers["upload-complete"] == "?0" && otherHead.headers["upload-offset"] == "0",
                "box-test-2 sees box-test-1's instance: \(otherHead.headers)")
        let ownHead = try await hubCall.call("HEAD", "/v1/instances/instance:1.2.3:abcd")
        #expect(ownHead.headers["upload-complete"] == "?1" && ownHead.headers["upload-offset"] == "4")
        #expect(ownHead.headers["content-sha256"] == Self.sha(bytes), "HEAD must name the SHA-256 it holds: \(ownHead.headers)")
        let otherUpload = try await hubCall.call(as: "other-device", "PUT", "/v1/instances/instance:1.2.3:abcd", headers: [
            "Upload-Offset: 0", "Upload-Length: 5", "Content-SHA256: \(Self.sha("other"))", "Content-Type: application/octet-stream",
        ], body: "other")
        #expect(otherUpload.status == 201, "box-test-2's own upload under the same key: \(otherUpload.status) \(otherUpload.body)")

        // /v1/items: the caller's own only.
        let listed = try await hubCall.call("GET", "/v1/items")
        #expect(listed.status == 200)
        let items = try JSONDecoder().decode([HubListedItem].self, from: Data(listed.body.utf8))
        #expect(Set(items.map(\.device)) == ["box-test-1"], "box-test-1 was shown: \(items)")
        #expect(Set(items.map(\.key)) == ["result:shared", "instance:1.2.3:abcd"])

        // The operator's list holds both devices' items.
        let all = try await HubList.items(dataDirectory: folder.file("hub-hub"))
        #expect(all.filter { $0.key == "result:shared" }.map(\.device).sorted() == ["box-test-1", "box-test-2"])
        #expect(!all.contains { $0.key == "report:forged" })
        #expect(hub.deaths == 0)
    }

    @Test("malformed, negative, overflowing, reversed and multiple ranges are 400, a range past the end 416, never a crash")
    func rangesAreValidated() async throws {
        let folder = TemporaryDirectory("hub-range")
        let pki = try await MutualTLSTests.makePKI(folder)
        let catalog = folder.file("catalog")
        try folder.write("catalog/package.fbx", Array("0123456789".utf8))
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub", extra: ["--catalog-dir", catalog])
        defer { hub.stop() }
        try await HubProcess.assignCatalog(["package.fbx"], catalog: catalog, to: "box-test-1", dataDirectory: folder.file("hub-hub"))
        let hubCall = HubCall(port: port, pki: pki)

        let whole = try await hubCall.call("GET", "/v1/models/package.fbx")
        #expect(whole.status == 200 && whole.body == "0123456789")
        let served: [(String, String, String)] = [
            ("bytes=2-", "bytes 2-9/10", "23456789"), ("bytes=2-4", "bytes 2-4/10", "234"),
            ("bytes=-3", "bytes 7-9/10", "789"), ("bytes=8-99", "bytes 8-9/10", "89"),
        ]
        for (range, contentRange, body) in served {
            let answer = try await hubCall.call("GET", "/v1/models/package.fbx", headers: ["Range: \(range)"])
            #expect(answer.status == 206 && answer.headers["content-range"] == contentRange && answer.body == body,
                    "\(range): \(answer.status) \(answer.headers["content-range"] ?? "-") \(answer.body)")
        }
        for range in ["bytes=-5-", "bytes=abc-", "bytes=5-2", "bytes=99999999999999999999-", "bytes=0-1,4-5", "items=0-", "bytes=+1-", "bytes=1"] {
            let answer = try await hubCall.call("GET", "/v1/models/package.fbx", headers: ["Range: \(range)"])
            #expect(answer.status == 400 && answer.body.contains("Range"), "\(range): \(answer.status) \(answer.body)")
        }
        let past = try await hubCall.call("GET", "/v1/models/package.fbx", headers: ["Range: bytes=10-"])
        #expect(past.status == 416 && past.headers["content-range"] == "bytes */10", "\(past.status) \(past.headers)")
        #expect(hub.deaths == 0, "a Range header killed the hub")
        let after = try await hubCall.call("GET", "/v1/models/package.fbx", headers: ["Range: bytes=9-"])
        #expect(after.status == 206 && after.body == "9")
    }

    @Test("Upload-Length and Upload-Offset are decimal, bounded by the hub's limit (413 past it), offset before length; Content-Range on PUT is 400")
    func uploadHeadersAreValidated() async throws {
        let folder = TemporaryDirectory("hub-upload-headers")
        let pki = try await MutualTLSTests.makePKI(folder)
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub")
        defer { hub.stop() }
        let hubCall = HubCall(port: port, pki: pki)
        let sha = Self.sha("abcd")
        let cases: [([String], Int)] = [
            (["Upload-Offset: 0", "Upload-Length: -1"], 400),
            (["Upload-Offset: 0", "Upload-Length: abc"], 400),
            (["Upload-Offset: 0", "Upload-Length: 99999999999999999999"], 400),
            (["Upload-Offset: 0", "Upload-Length: 3221225472"], 413), // 3 GiB, past the default 2 GiB
            (["Upload-Offset: 10", "Upload-Length: 4"], 400),
            (["Upload-Offset: -1", "Upload-Length: 4"], 400),
            (["Upload-Offset: 0", "Upload-Length: 2"], 400), // a 4-byte chunk past the length
            (["Upload-Offset: 0", "Upload-Length: 4", "Content-Range: bytes 0-3/4"], 400),
        ]
        for (headers, status) in cases {
            let answer = try await hubCall.call("PUT", "/v1/instances/instance:9.9:bad", headers: headers + [
                "Content-SHA256: \(sha)", "Content-Type: application/octet-stream",
            ], body: "abcd")
            #expect(answer.status == status && answer.body.contains("detail"), "\(headers): \(answer.status) \(answer.body)")
        }
        let badDigest = try await hubCall.call("PUT", "/v1/instances/instance:9.9:bad", headers: [
            "Upload-Offset: 0", "Upload-Length: 4", "Content-SHA256: zz", "Content-Type: application/octet-stream",
        ], body: "abcd")
        #expect(badDigest.status == 400)
        let document = try await hubCall.call("PUT", "/v1/results/result:ranged", headers: ["Content-Range: bytes 0-1/2"], body: "{}")
        #expect(document.status == 400, "Content-Range on a document PUT: \(document.status)")
        #expect(hub.deaths == 0)
        let held = try await HubList.items(dataDirectory: folder.file("hub-hub"))
        #expect(held.isEmpty, "a refused upload left \(held)")
    }

    @Test("the limit is the hub's --max-upload-size")
    func uploadLimitIsConfigured() async throws {
        let folder = TemporaryDirectory("hub-upload-limit")
        let pki = try await MutualTLSTests.makePKI(folder)
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub", extra: ["--max-upload-size", "1000"])
        defer { hub.stop() }
        let hubCall = HubCall(port: port, pki: pki)
        let over = try await hubCall.call("PUT", "/v1/instances/instance:9.9:big", headers: [
            "Upload-Offset: 0", "Upload-Length: 1001", "Content-SHA256: \(Self.sha("x"))", "Content-Type: application/octet-stream",
        ], body: "abcd")
        #expect(over.status == 413 && over.body.contains("1000"), "\(over.status) \(over.body)")
        let within = try await hubCall.call("PUT", "/v1/instances/instance:9.9:big", headers: [
            "Upload-Offset: 0", "Upload-Length: 1000", "Content-SHA256: \(Self.sha("x"))", "Content-Type: application/octet-stream",
        ], body: "abcd")
        #expect(within.status == 202, "\(within.status) \(within.body)")
    }

    @Test("without TLS the hub starts only with --development-plain-http, and then takes the Fluorobox-Device header as the identity")
    func plainHTTPIsDevelopmentOnly() async throws {
        let folder = TemporaryDirectory("hub-plain")
        let refused = try await ProcessRunner.run(HubProcess.binary, ["serve", "--data-dir", folder.file("refused"), "--port", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("--development-plain-http"), "a plain-HTTP hub without the flag: \(refused.status) \(refused.stderr)")

        let port = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: folder.file("hub"), port: port)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let hubCall = HubCall(port: port, pki: nil)
        let named = try await hubCall.call("PUT", "/v1/results/result:dev", headers: ["Fluorobox-Device: box-dev-1"], body: Self.result("dev"))
        #expect(named.status == 201)
        let anonymous = try await hubCall.call("PUT", "/v1/results/result:dev2", body: Self.result("dev"))
        #expect(anonymous.status == 400 && anonymous.body.contains("Fluorobox-Device"))
        let held = try await HubList.items(dataDirectory: folder.file("hub"))
        #expect(held.map(\.device) == ["box-dev-1"])
    }

    @Test("a document that does not fit docs/platform-api.yaml is 400 and not kept; a percent-encoded key is the key; another method is 405 with Allow")
    func documentsAreCheckedAgainstTheContract() async throws {
        let folder = TemporaryDirectory("hub-contract")
        let port = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: folder.file("hub"), port: port)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()
        let hubCall = HubCall(port: port, pki: nil)
        let device = "Fluorobox-Device: box-contract"
        let refused: [(path: String, body: String, why: String)] = [
            ("/v1/results/result:1", "", "empty"),
            ("/v1/results/result:1", "[1]", "an object"),
            ("/v1/results/result:1", #"{"model":{"id":"m","version":"1"},"findings":[]}"#, "schemaVersion"),
            ("/v1/results/result:1", #"{"schemaVersion":1.5,"model":{"id":"m","version":"1"},"findings":[]}"#, "integer"),
            ("/v1/results/result:1", #"{"schemaVersion":1,"model":{"id":"m","version":"1","use":null},"findings":[]}"#, "model.use"),
            ("/v1/results/result:1", #"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":[{"probability":2}]}"#, "findings[0].probability"),
            ("/v1/feedback/feedback:1", #"{"verdict":"maybe","studyInstanceUID":"1.2","role":"doctor","recordedAt":"2026-11-23T09:30:00Z"}"#, "verdict"),
            ("/v1/adverse-events/adverse-event:1", #"{"description":"x","occurredAt":"2026-02-30T09:30:00Z"}"#, "occurredAt"),
            ("/v1/reports/report:1", #"{"device":"d","model":"m","version":"1","day":"2026-11-23"}"#, "doctorAgree"),
            ("/v1/model-updates/model-update:1", #"{"device":"d","file":"f","sha256":"s","outcome":"activated","at":true}"#, "at"),
        ]
        for (path, body, why) in refused {
            let answer = try await hubCall.call("PUT", path, headers: [device], body: body)
            #expect(answer.status == 400 && answer.body.contains(why), "\(path) \(body): \(answer.status) \(answer.body)")
        }
        let badHello = try await hubCall.call("POST", "/v1/devices/box-contract/hello", body: #"{"version":{}}"#)
        #expect(badHello.status == 400, "\(badHello.status) \(badHello.body)")
        #expect(try await HubList.items(dataDirectory: folder.file("hub")).isEmpty)

        // Colons percent-encoded by the client: the same key, so the retry is the same item.
        let stored = try await hubCall.call("PUT", "/v1/results/result%3A2", headers: [device], body: Self.result("x"))
        let again = try await hubCall.call("PUT", "/v1/results/result:2", headers: [device], body: Self.result("x"))
        #expect(stored.status == 201 && again.status == 200, "\(stored.status) \(again.status) \(stored.body)")
        let event = try await hubCall.call(
            "PUT", "/v1/adverse-events/adverse-event:1", headers: [device], body: #"{"description":"x","occurredAt":"2024-02-29T09:30:00.5+01:00","extra":1}"#
        )
        #expect(event.status == 201, "\(event.status) \(event.body)")
        #expect(try await HubList.items(dataDirectory: folder.file("hub")).map(\.key).sorted() == ["adverse-event:1", "result:2"])

        let delete = try await hubCall.call("DELETE", "/v1/instances/instance:1", headers: [device])
        #expect(delete.status == 405 && delete.headers["allow"] == "HEAD, PUT", "\(delete.status) \(delete.headers)")
        let post = try await hubCall.call("POST", "/v1/results/result:2", headers: [device], body: Self.result("x"))
        #expect(post.status == 405 && post.headers["allow"] == "PUT", "\(post.status) \(post.headers)")
        let package = try await hubCall.call("GET", "/v1/models/none", headers: ["Fluorobox-Device: not a device"])
        #expect(package.status == 400, "\(package.status) \(package.body)")
    }

    /// A result as docs/platform-api.yaml shapes it; `mark` makes its content differ.
    static func result(_ mark: String) -> String {
        #"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":[],"mark":"\#(mark)"}"#
    }
}
