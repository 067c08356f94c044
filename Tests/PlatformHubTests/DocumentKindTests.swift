import Foundation
@testable import PlatformHub
import StudyStore
import Testing

/// Every document the box sends is checked against its schema: a kind the schema table forgot
/// was stored unread (os-update was, until the table came from `DocumentSchema.Kind`).
@Suite(.serialized)
struct DocumentKindTests {
    @Test("a malformed os-update document is refused 400 with the schema's reason; a box's own is stored")
    func malformedOSUpdateRefused() async throws {
        try await HubContractTests.withHub { hub, _ in
            func detail(_ answer: Curl.Answer) -> String? {
                ((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: String])?["detail"]
            }
            let fits = #"{"device":"box-a","file":"fluorobox-0.3.0.raucb","sha256":"ab","version":"0.3.0","slot":"B","outcome":"installed","at":"2026-12-07T09:30:00Z"}"#
            let stored = try await Curl.call(port: hub.port, "PUT", "/v1/os-updates/os-update:box-a:ab:installed", body: fits)
            #expect(stored.status == 201, "\(stored.body)")

            for (body, reason) in [
                (#"{"device":"box-a","sha256":"ab","outcome":"rebooted","at":"2026-12-07T09:30:00Z"}"#,
                 "outcome must be one of installed, refused, failed, marked-good, fell-back"),
                (#"{"device":"box-a","sha256":"ab","outcome":"failed","at":"2026-12-07 09:30"}"#,
                 "at must be an RFC 3339 date-time such as 2026-11-23T09:30:00Z"),
                (#"{"device":"box-a","sha256":7,"outcome":"failed","at":"2026-12-07T09:30:00Z"}"#, "sha256 must be a string"),
                (#"{"device":"box-a","sha256":"ab","outcome":"failed","at":"2026-12-07T09:30:00Z","slot":["B"]}"#, "slot must be a string"),
            ] {
                let refused = try await Curl.call(port: hub.port, "PUT", "/v1/os-updates/os-update:box-a:ab:failed", body: body)
                #expect(refused.status == 400 && detail(refused) == reason, "\(body): \(refused.status) \(refused.body)")
            }
            let listed = try await Curl.call(port: hub.port, "GET", "/v1/items")
            #expect(!listed.body.contains("os-update:box-a:ab:failed"), "a refused document is not stored: \(listed.body)")
        }
    }

    @Test("every document kind the box queues (each OutboxKind but the instance's bytes) has a schema on the hub")
    func everyQueuedKindHasASchema() throws {
        // The kinds as the sources declare them (StudyStore's vocabulary, or an extension
        // anywhere), read from the source so a new one cannot be missed here: OutboxKind is
        // open (a struct over its raw value), not an enumeration.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
        let declaration = try Regex(#"static let \w+ = OutboxKind\(rawValue: "([^"]+)"\)"#)
        var declared: Set<String> = []
        let files = try #require(FileManager.default.enumerator(atPath: sources.path))
        for case let file as String in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: declaration) {
                if let kind = match.output[1].substring { declared.insert(String(kind)) }
            }
        }
        let documents = declared.subtracting([OutboxKind.instance.rawValue])
        // The read found the kinds it is meant to find (it cannot pass on an empty list).
        let known: [OutboxKind] = [.result, .report, .feedback, .modelUpdate, .osUpdate, .adverseEvent, .shadowAgreement]
        #expect(documents.isSuperset(of: known.map(\.rawValue)), "\(documents.sorted())")
        #expect(documents.filter { DocumentSchema.of(kind: $0) == nil }.sorted() == [], "queued by the box, unchecked by the hub")
        #expect(Set(DocumentSchema.Kind.allCases.map(\.rawValue)) == documents.union(["hello"]), "a schema for a kind the box never sends")
    }
}
