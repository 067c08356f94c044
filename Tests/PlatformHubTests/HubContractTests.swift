import FluoroboxTestSupport
import Foundation
import POSIXSupport
import Testing

/// The generated server (PlatformAPIServer) keeps what the hand-written routes promised: the
/// documents as sent, the API's problem answers, the paths and methods. A single-machine hub
/// (SQLite) on development plain HTTP, curl as the box.
@Suite(.serialized)
struct HubContractTests {
    static let result = #"{"schemaVersion":1,"model":{"id":"chest","version":"2.0.0","use":"clinical"},"findings":[],"overlay":{"kept":true}}"#

    @Test("a document is kept byte for byte (unknown fields too): the same bytes again are 200, the same JSON reordered 409")
    func documentsAsSent() async throws {
        try await Self.withHub { hub, _ in
            let sha = SHA256Hex.string(of: Array(Self.result.utf8))
            let first = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:1", headers: ["Content-SHA256: \(sha)"], body: Self.result)
            #expect(first.status == 201, "\(first.body)")
            let again = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:1", body: Self.result)
            #expect(again.status == 200, "\(again.body)")
            let reordered = #"{"findings":[],"model":{"id":"chest","version":"2.0.0","use":"clinical"},"overlay":{"kept":true},"schemaVersion":1}"#
            let conflict = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:1", body: reordered)
            #expect(conflict.status == 409, "\(conflict.body)")
            let listed = try await Curl.call(port: hub.port, "GET", "/v1/items")
            let items = try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [[String: Any]]
            #expect(items?.first?["sha256"] as? String == sha && items?.first?["size"] as? Int == Self.result.utf8.count, "\(listed.body)")
            let wrongDigest = try await Curl.call(
                port: hub.port, "PUT", "/v1/results/result:2", headers: ["Content-SHA256: \(String(repeating: "0", count: 64))"], body: Self.result
            )
            #expect(wrongDigest.status == 422, "\(wrongDigest.body)")
        }
    }

    @Test("what the generated code cannot read is the API's 400 problem with the reason; fractions and offsets in dates are read; any Accept gets JSON")
    func problems() async throws {
        try await Self.withHub { hub, folder in
            func problem(_ answer: Curl.Answer) -> [String: String]? {
                (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: String]
            }
            let missing = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:3", body: #"{"model":{"id":"m","version":"1"},"findings":[]}"#)
            #expect(missing.status == 400 && problem(missing)?["detail"] == #"the body has no "schemaVersion""#, "\(missing.body)")
            #expect(missing.headers["content-type"] == "application/json")
            let mistyped = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:3", body: #"{"schemaVersion":"1","model":{"id":"m","version":"1"},"findings":[]}"#)
            #expect(mistyped.status == 400 && (problem(mistyped)?["detail"] ?? "").hasPrefix("schemaVersion "), "\(mistyped.body)")
            let notJSON = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:3", body: "{")
            #expect(notJSON.status == 400 && problem(notJSON)?["detail"] == "the body is not JSON", "\(notJSON.body)")
            let text = try await Curl.call(port: hub.port, "PUT", "/v1/results/result:3", bodyFile: try folder.write("result", Array(Self.result.utf8)))
            #expect(text.status == 400 && problem(text) != nil, "\(text.body)")
            let feedback = #"{"verdict":"agree","studyInstanceUID":"2.25.1","role":"doctor","recordedAt":"2026-11-23t09:30:00.123456+03:00"}"#
            let dated = try await Curl.call(port: hub.port, "PUT", "/v1/feedback/feedback:1", body: feedback)
            #expect(dated.status == 201, "\(dated.body)")
            let unknown = try await Curl.call(port: hub.port, "PUT", "/v1/nothing/key:1", body: Self.result)
            #expect(unknown.status == 404 && problem(unknown)?["error"] == "not found", "\(unknown.body)")
            let method = try await Curl.call(port: hub.port, "GET", "/v1/results/result:1")
            #expect(method.status == 405 && method.headers["allow"] == "PUT", "\(method.status) \(method.headers)")
            let helloWithout = try await Curl.call(port: hub.port, "POST", "/v1/devices/box-a/hello")
            #expect(helloWithout.status == 200 && helloWithout.body.contains(#""device":"box-a""#), "\(helloWithout.body)")
            // JSON whatever Accept says, as the hand-written routes answered.
            let anyAccept = try await Curl.call(port: hub.port, "POST", "/v1/devices/box-a/hello", headers: ["Accept: text/html"], body: "{}")
            #expect(anyAccept.status == 200 && anyAccept.body.contains("serverTime"), "\(anyAccept.status) \(anyAccept.body)")
            let otherDevice = try await Curl.call(port: hub.port, "POST", "/v1/devices/box-b/hello", body: "{}")
            #expect(otherDevice.status == 403, "\(otherDevice.body)")
        }
    }

    /// A hub for `body`, stopped after it whatever happens.
    static func withHub(_ body: (HubReplica, TemporaryDirectory) async throws -> Void) async throws {
        let folder = TemporaryDirectory("hub-contract")
        let hub = try await HubReplica(dataDirectory: folder.file("hub"))
        do {
            try await body(hub, folder)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }
}
