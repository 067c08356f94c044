/// UID rules (PS3.5 section 9) and the UIDs the box makes itself.
public enum DICOMUID {
    /// The box's UID root for objects it creates: the 2.25 arc takes a 128-bit UUID as a decimal
    /// number (PS3.5 section B.2), so no registered root is needed.
    public static let uuidRoot = "2.25"

    /// At most 64 characters of digits and dots, no empty component, no leading zero in a
    /// component of more than one digit.
    public static func isValid(_ uid: String) -> Bool {
        guard !uid.isEmpty, uid.utf8.count <= 64 else { return false }
        for component in uid.split(separator: ".", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            if component.count > 1 && component.first == "0" { return false }
        }
        return true
    }

    /// Whether a UID read from a peer's data can be filed: units in the field send UIDs with
    /// leading zeros or hex digits, and those are kept; what is refused is anything that could act
    /// as a path or hide text (separators, "..", control bytes) and absurd lengths.
    public static func isSafe(_ uid: String) -> Bool {
        guard !uid.isEmpty, uid.utf8.count <= 128, !uid.contains("..") else { return false }
        return uid.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2E || byte == 0x2D || byte == 0x5F
        }
    }

    /// A UID under 2.25 made from 16 bytes (a random or name-based UUID).
    ///
    /// The bytes get the RFC 9562 variant bits and the given version, then become one decimal number.
    public static func fromUUIDBytes(_ bytes: [UInt8], version: UInt8) -> String {
        precondition(bytes.count >= 16)
        var uuid = Array(bytes.prefix(16))
        uuid[6] = (uuid[6] & 0x0F) | (version << 4)
        uuid[8] = (uuid[8] & 0x3F) | 0x80
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(uuid[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(uuid[i]) }
        return uuidRoot + "." + decimal(high: high, low: low)
    }

    /// A fresh random UID (UUID version 4).
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return fromUUIDBytes(bytes, version: 4)
    }

    /// Shows a UID from a damaged file safely in a message: control bytes become "?", long values are cut.
    public static func printable(_ uid: String) -> String {
        let cleaned = String(uid.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return cleaned.count > 80 ? String(cleaned.prefix(80)) + "…" : cleaned
    }

    /// The decimal digits of the 128-bit number high:low, by repeated division by 10.
    static func decimal(high: UInt64, low: UInt64) -> String {
        if high == 0 { return String(low) }
        var high = high, low = low
        var digits: [UInt8] = []
        while high != 0 || low != 0 {
            let (quotientHigh, remainderHigh) = high.quotientAndRemainder(dividingBy: 10)
            let (quotientLow, remainder) = UInt64(10).dividingFullWidth((high: remainderHigh, low: low))
            high = quotientHigh
            low = quotientLow
            digits.append(UInt8(remainder) + 0x30)
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
