@testable import PlatformHub
import Testing

/// The hub's own check of a document body (what the generated decoding does not check), word
/// for word: a box logs these reasons.
struct DocumentSchemaTests {
    static let result = #"{"schemaVersion":1,"model":{"id":"m","version":"1","use":"clinical"},"findings":[{"id":"nodule","probability":0.5,"flaggedForReview":true,"modelUse":"clinical"},{"probability":1}],"extra":{"kept":[null,"unread"]}}"#
    static let report = #"{"device":"d","model":"m","version":"1","day":"2026-11-23","processed":3,"flagged":1,"retakesAdvised":0,"doctorAgree":1,"doctorDisagree":0,"latencyP50ms":12.5,"latencyP95ms":40,"errors":0,"registrationDate":"2025-01-31"}"#

    @Test("documents that fit are accepted, escapes, long texts and unknown members included")
    func acceptsWhatFits() throws {
        let long = String(repeating: "Höhe ", count: 40)
        for (kind, body) in [
            ("result", Self.result),
            ("report", Self.report),
            ("feedback", #"{"verdict":"agr\u0065e","studyInstanceUID":"1.2.3","role":"doctor","recordedAt":"2026-11-23T09:30:00.25+01:00","comment":"\#(long)"}"#),
            ("adverse-event", #"{"description":"\#(long)","occurredAt":"2024-02-29T09:30:00Z"}"#),
            ("model-update", #"{"device":"d","file":"f","sha256":"s","outcome":"refused","at":"2026-11-23T09:30:00Z","reason":"signature"}"#),
            ("hello", #"{"version":"1.2.3"}"#),
        ] {
            #expect(throws: Never.self, "\(kind)") { try #require(DocumentSchema.of(kind: kind)).validate(Array(body.utf8)) }
        }
        #expect(DocumentSchema.of(kind: "heartbeat") == nil)
    }

    @Test("what does not fit is refused with the first problem, required members before the rest, by name", arguments: [
        ("result", "", "the body is empty; it must be a JSON document"),
        ("result", #"{"schemaVersion":1,"#, "the body is not JSON"),
        ("result", "{\"schemaVersion\":1,\"model\":{\"id\":\"\u{FFFD}\",\"version\":\"1\"},\"findings\":[]} x", "the body is not JSON"),
        ("result", "[1]", "the body must be an object"),
        ("result", "{}", #"the body has no "findings""#),
        ("result", #"{"findings":[],"model":{"id":"m"}}"#, #"the body has no "schemaVersion""#),
        ("result", #"{"schemaVersion":0,"model":{"version":1},"findings":[]}"#, #"model has no "id""#),
        ("result", #"{"schemaVersion":0,"model":{"id":"m","version":"1"},"findings":[]}"#, "schemaVersion must be at least 1"),
        ("result", #"{"schemaVersion":1.5,"model":{"id":"m","version":"1"},"findings":[]}"#, "schemaVersion must be an integer"),
        ("result", #"{"schemaVersion":1,"model":{"id":"m","version":"1","use":null},"findings":[]}"#, "model.use must be a string"),
        ("result", #"{"schemaVersion":1,"model":{"id":"m","version":"1","use":"research"},"findings":[]}"#, "model.use must be one of clinical, demonstration"),
        ("result", #"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":[{},{"probability":1.5,"id":7}]}"#, "findings[1].id must be a string"),
        ("result", #"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":[{},{"probability":1.5}]}"#, "findings[1].probability must be at most 1.0"),
        ("result", #"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":{}}"#, "findings must be an array"),
        ("report", #"{"device":"d","model":"m","version":"1","day":"2026-11-31","processed":3,"flagged":1,"retakesAdvised":0,"doctorAgree":1,"doctorDisagree":0,"latencyP50ms":12.5,"latencyP95ms":40,"errors":0}"#, "day must be an RFC 3339 date such as 2026-11-23"),
        ("report", #"{"device":"d","model":"m","version":"1","day":"2026-11-30","processed":-1,"flagged":1,"retakesAdvised":0,"doctorAgree":1,"doctorDisagree":0,"latencyP50ms":-2,"latencyP95ms":40,"errors":0}"#, "latencyP50ms must be at least 0.0"),
        ("feedback", #"{"verdict":"agree","studyInstanceUID":"1.2","role":"doctor","recordedAt":"2026-11-23 09:30:00"}"#, "recordedAt must be an RFC 3339 date-time such as 2026-11-23T09:30:00Z"),
        ("model-update", #"{"device":"d","file":"f","sha256":"s","outcome":"activated","at":true}"#, "at must be a string"),
        ("hello", #"{"version":{}}"#, "version must be a string"),
    ])
    func refusesWhatDoesNot(kind: String, body: String, reason: String) throws {
        let schema = try #require(DocumentSchema.of(kind: kind))
        let error = #expect(throws: HubError.self) { try schema.validate(Array(body.utf8)) }
        #expect(error?.code == .badRequest)
        #expect(error?.detail == reason)
    }

    @Test("a string that is not UTF-8 makes the body not JSON, in a member the schema does not name too")
    func refusesInvalidUTF8() throws {
        let schema = try #require(DocumentSchema.of(kind: "result"))
        let body = Array(#"{"schemaVersion":1,"model":{"id":"m","version":"1"},"findings":[],"note":"0123456789abcdefghij"#.utf8) + [0xC3, 0x28, 0x22, 0x7D]
        let error = #expect(throws: HubError.self) { try schema.validate(body) }
        #expect(error?.detail == "the body is not JSON")
    }
}
