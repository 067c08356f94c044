import Foundation
import POSIXSupport
import Testing

/// `JSONValue.parse`: RFC 8259 exactly, for the configuration files and the hub's documents.
struct JSONValueParsingTests {
    @Test("values, escapes, surrogate pairs and whitespace read as RFC 8259 says")
    func readsWhatTheGrammarAllows() throws {
        let text = #" { "a" : [1, -0.5, 2e3, 1E-2, 0, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00й", "o": {}, "e": [] } "#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value == .object([
            "a": .array([.number(1), .number(-0.5), .number(2000), .number(0.01), .number(0), .bool(true), .bool(false), .null]),
            "s": .string("x\"\\/\u{8}\u{c}\n\r\té😀й"),
            "o": .object([:]),
            "e": .array([]),
        ]))
        #expect(try JSONValue.parse(Array("\"\"".utf8)) == .string(""))
        #expect(try JSONValue.parse(Array("123".utf8)) == .number(123))
    }

    @Test("what the grammar does not allow is refused with where it stopped", arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "01", "+1", ".5", "1.", "1e", "-", "NaN", "tru", "nul",
        "\"unterminated", "\"a\u{1}b\"", "\"\\x\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\u12\"", "1 2", "{} x", "1e999",
        "[" + String(repeating: "[", count: 200) + String(repeating: "]", count: 201),
    ])
    func refusesWhatTheGrammarDoesNot(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("a string that is not UTF-8 is refused")
    func refusesInvalidUTF8() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("nesting up to the limit reads; one deeper is refused")
    func nestingLimit() throws {
        let deepest = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        _ = try JSONValue.parse(Array(deepest.utf8))
        let deeper = "[" + deepest + "]"
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(deeper.utf8)) }
    }

    @Test("whatever JSONEncoder writes reads back as the same value")
    func roundTripsEncoderOutput() throws {
        struct Document: Encodable {
            var name: String
            var numbers: [Double]
            var nested: [String: [Int]]
            var flag: Bool
            var missing: String?
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let scalars = (0..<Int.random(in: 0...20, using: &generator)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x1FFFF, using: &generator)).flatMap { (0xD800...0xDFFF).contains($0.value) ? nil : $0 }
            }
            let name = String(String.UnicodeScalarView(scalars))
            let numbers = (0..<5).map { _ in Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 64 }
            let document = Document(name: name, numbers: numbers, nested: ["k": [1, -2, 3]], flag: Bool.random(using: &generator))
            let encoded = try JSONEncoder().encode(document)
            let parsed = try JSONValue.parse(Array(encoded))
            #expect(parsed == .object([
                "name": .string(name), "numbers": .array(numbers.map { .number($0) }),
                "nested": .object(["k": .array([.number(1), .number(-2), .number(3)])]), "flag": .bool(document.flag),
            ]))
        }
    }
}
