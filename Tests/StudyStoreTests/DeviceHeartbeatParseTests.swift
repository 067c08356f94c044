import Foundation
@testable import StudyStore
import Testing

/// Found by schemathesis against a live hub: each of these was a 400 for a document the API
/// allows, or a 500.
@Suite("Heartbeat documents the API allows are read")
struct DeviceHeartbeatParseTests {
    static func document(sentAt: String = "2026-12-06T10:00:00Z", message: String = "ok", counts: [Int] = [1]) -> [UInt8] {
        let backlog = counts.enumerated().map { #"{"destination": "d\#($0.offset)", "count": \#($0.element), "bytes": 9223372036854775807}"# }
        return Array("""
        {"schema": 1, "sentAt": "\(sentAt)", "agentVersion": "1.0", "uptimeSeconds": 1, "models": [], "freeDiskBytes": 0,
         "clockSkewSeconds": null, "backlog": [\(backlog.joined(separator: ","))],
         "errors": [{"at": "2026-12-06T10:00:00.25+03:30", "source": "sync", "message": "\(message)"}]}
        """.utf8)
    }

    @Test("RFC 3339 dates with fractional seconds and offsets, and a null skew, are read")
    func datesAndNull() throws {
        let heartbeat = try DeviceHeartbeat.parse(Self.document(sentAt: "0291-08-13T17:03:41.5-01:22"))
        #expect(heartbeat.clockSkewSeconds == nil)
        #expect(heartbeat.errors.first?.at == ISO8601DateFormatter().date(from: "2026-12-06T06:30:00Z")?.addingTimeInterval(0.25))
    }

    @Test("a NUL in a message becomes U+FFFD (PostgreSQL's jsonb refuses it); totals saturate instead of trapping")
    func nulAndOverflow() throws {
        let heartbeat = try DeviceHeartbeat.parse(Self.document(message: #"a\u0000b"#, counts: [Int.max, Int.max]))
        #expect(heartbeat.errors.first?.message == "a\u{FFFD}b")
        #expect(heartbeat.backlogCount == .max && heartbeat.backlogBytes == .max)
    }

    @Test("the optional OS part is read when there, checked like the rest, and cut to fit by the box")
    func operatingSystem() throws {
        var text = String(decoding: Self.document(), as: UTF8.self)
        #expect(try DeviceHeartbeat.parse(Array(text.utf8)).os == nil)
        text = text.replacingOccurrences(of: #""freeDiskBytes": 0,"#, with: #""freeDiskBytes": 0, "os": {"version": "0.2.0+e1", "bootedSlot": "b", "lastOutcome": "updated to 0.2.0+e1 (slot b)"},"#)
        #expect(try DeviceHeartbeat.parse(Array(text.utf8)).os == DeviceHeartbeat.OS(version: "0.2.0+e1", bootedSlot: "b", lastOutcome: "updated to 0.2.0+e1 (slot b)"))
        #expect(throws: HeartbeatError.self) {
            try DeviceHeartbeat.parse(Array(text.replacingOccurrences(of: #""version": "0.2.0+e1""#, with: #""version": """#).utf8))
        }
        var long = try DeviceHeartbeat.parse(Array(text.utf8))
        long.os?.lastOutcome = String(repeating: "x", count: 900)
        #expect(throws: HeartbeatError.self) { try DeviceHeartbeat.parse(long.encoded()) }
        #expect(try DeviceHeartbeat.parse(long.bounded().encoded()).os?.lastOutcome?.count == DeviceHeartbeat.maxMessageLength)
    }
}
