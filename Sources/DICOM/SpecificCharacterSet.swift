/// Decodes text values by Specific Character Set (0008,0005), for the character sets the
/// box's clinics use: ASCII, Latin-1 (ISO_IR 100), Cyrillic (ISO_IR 144, ISO 8859-5) and UTF-8
/// (ISO_IR 192). Other sets decode as Latin-1 so no byte is dropped.
public struct SpecificCharacterSet: Sendable, Hashable {
    enum Encoding: Sendable, Hashable {
        case ascii, latin1, cyrillic, utf8
    }

    let encoding: Encoding
    /// ISO 2022 code extensions: escape sequences switch G1 and are removed before decoding.
    let usesCodeExtensions: Bool

    public static let `default` = SpecificCharacterSet(encoding: .ascii, usesCodeExtensions: false)

    /// Builds the decoder from the attribute's value, e.g. "ISO_IR 144" or "\ISO 2022 IR 144".
    public init(attributeValue: String) {
        let terms = attributeValue.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " ") }
        let named = terms.first(where: { !$0.isEmpty && $0 != "ISO_IR 6" && $0 != "ISO 2022 IR 6" })
        usesCodeExtensions = terms.contains { $0.hasPrefix("ISO 2022") }
        switch named {
        case nil: encoding = .ascii
        case "ISO_IR 192": encoding = .utf8
        case "ISO_IR 144", "ISO 2022 IR 144": encoding = .cyrillic
        default: encoding = .latin1
        }
    }

    init(encoding: Encoding, usesCodeExtensions: Bool) {
        self.encoding = encoding
        self.usesCodeExtensions = usesCodeExtensions
    }

    public func decode(_ bytes: some Collection<UInt8>) -> String {
        var input = Array(bytes)
        if usesCodeExtensions { input = Self.removingEscapeSequences(input) }
        switch encoding {
        case .utf8, .ascii:
            if let text = String(validating: input, as: UTF8.self) { return text }
            return String(decoding: input.map { $0 }, as: UTF8.self)
        case .latin1:
            return String(String.UnicodeScalarView(input.compactMap { Unicode.Scalar(UInt32($0)) }))
        case .cyrillic:
            return String(String.UnicodeScalarView(input.compactMap { Unicode.Scalar(Self.iso8859_5($0)) }))
        }
    }

    /// ISO 8859-5 to Unicode (the mapping is arithmetic apart from three code points).
    static func iso8859_5(_ byte: UInt8) -> UInt32 {
        switch byte {
        case 0x00...0xA0: UInt32(byte)
        case 0xAD: 0x00AD
        case 0xF0: 0x2116
        case 0xFD: 0x00A7
        default: UInt32(byte) - 0xA0 + 0x0400
        }
    }

    static func removingEscapeSequences(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1B {
                // ESC, then intermediate bytes 0x20-0x2F, then one final byte.
                index += 1
                while index < bytes.count, (0x20...0x2F).contains(bytes[index]) { index += 1 }
                index += 1
                continue
            }
            output.append(bytes[index])
            index += 1
        }
        return output
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var slice = Substring(self)
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}
