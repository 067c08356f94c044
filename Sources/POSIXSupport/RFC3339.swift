/// RFC 3339 section 5.6 timestamps, as JSON Schema's `date-time` and `date` formats read them.
public enum RFC3339 {
    public static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 10 && isFullDate(bytes[...])
    }

    public static func isDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, isFullDate(bytes[0..<10]), [UInt8(ascii: "T"), UInt8(ascii: "t")].contains(bytes[10]) else { return false }
        var rest = bytes[11...]
        guard rest.count >= 8, rest[rest.startIndex + 2] == UInt8(ascii: ":"), rest[rest.startIndex + 5] == UInt8(ascii: ":"),
              let hour = number(rest.prefix(2)), let minute = number(rest.dropFirst(3).prefix(2)),
              let second = number(rest.dropFirst(6).prefix(2)), hour < 24, minute < 60, second <= 60
        else { return false }
        rest = rest.dropFirst(8)
        if rest.first == UInt8(ascii: ".") {
            let digits = rest.dropFirst().prefix { (0x30...0x39).contains($0) }
            guard !digits.isEmpty else { return false }
            rest = rest.dropFirst(1 + digits.count)
        }
        if rest.count == 1 { return rest.first == UInt8(ascii: "Z") || rest.first == UInt8(ascii: "z") }
        guard rest.count == 6, [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(rest[rest.startIndex]),
              rest[rest.startIndex + 3] == UInt8(ascii: ":"),
              let offsetHour = number(rest.dropFirst().prefix(2)), let offsetMinute = number(rest.dropFirst(4).prefix(2))
        else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }

    private static func isFullDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count == 10, bytes[bytes.startIndex + 4] == UInt8(ascii: "-"), bytes[bytes.startIndex + 7] == UInt8(ascii: "-"),
              let year = number(bytes.prefix(4)), let month = number(bytes.dropFirst(5).prefix(2)),
              let day = number(bytes.dropFirst(8).prefix(2)), (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
