import Foundation
import PlatformAPITypes
import Testing

@Suite("The generated code's date-time reads every RFC 3339 form and writes whole UTC seconds")
struct RFC3339DateTranscoderTests {
    let transcoder = RFC3339DateTranscoder()

    /// The runtime's own ISO 8601 transcoder reads one formatter's format: a fraction, or an
    /// offset other than the formatter's, would make a valid document a 400.
    @Test("T or t, Z, z or an offset, any number of fraction digits, a leap second")
    func decodes() throws {
        let base = 1_795_426_200.0 // 2026-11-23T09:30:00Z
        let cases: [(String, Double)] = [
            ("2026-11-23T09:30:00Z", base),
            ("2026-11-23t09:30:00z", base),
            ("2026-11-23T09:30:00.5Z", base + 0.5),
            ("2026-11-23T09:30:00.123456789Z", base + 0.123456789),
            ("2026-11-23T11:30:00+02:00", base),
            ("2026-11-23T04:00:00-05:30", base),
            ("2026-11-23T09:29:60Z", base - 1),
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", -1),
            ("2000-02-29T00:00:00Z", 951_782_400),
        ]
        for (text, seconds) in cases {
            let date = try transcoder.decode(text)
            #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(text): \(date.timeIntervalSince1970), not \(seconds)")
        }
    }

    @Test("not RFC 3339: refused")
    func refuses() {
        for text in [
            "", "2026-11-23", "2026-11-23 09:30:00Z", "2026-11-23T09:30:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T09:60:00Z", "2026-11-23T09:30:00.Z",
            "2026-11-23T09:30:00+2:00", "2026-11-23T09:30:00+24:00", "2026-11-23T09:30:00ZZ", "+2026-11-23T09:30:00Z",
        ] {
            #expect(throws: (any Error).self, "\(text)") { try transcoder.decode(text) }
        }
    }

    /// Boxes in the field read serverTime with a formatter without fractions: a fraction would
    /// cost them their clock check.
    @Test("writes whole seconds in UTC, and reads back what it wrote")
    func encodes() throws {
        for seconds in [0.0, 1_795_426_200.75, -1.25, 951_782_400, 4_102_444_799] {
            let text = try transcoder.encode(Date(timeIntervalSince1970: seconds))
            #expect(text.count == 20 && text.hasSuffix("Z") && !text.contains("."), "\(text)")
            #expect(try transcoder.decode(text).timeIntervalSince1970 == seconds.rounded(.down), "\(seconds): \(text)")
        }
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 1_795_426_200)) == "2026-11-23T09:30:00Z")
    }
}
