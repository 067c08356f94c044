import DICOM

/// Attribute matching of PS3.4 C.2.2.2: universal (empty or "*"), single value, wildcards
/// (* and ?), ranges of dates and times, and lists of values (of UIDs, and of any other value
/// as alternatives).
public enum QueryValueMatcher {
    /// Whether the stored `value` (several values separated by backslashes, as a multi-valued
    /// attribute holds them) matches the key's `query`.
    public static func matches(_ query: String, _ value: String?, vr: ValueRepresentation) -> Bool {
        let query = query.trimmingSpaces
        if query.isEmpty || (query == "*" && vr != .UI) { return true }
        guard let value, !value.trimmingSpaces.isEmpty else { return false }
        let values = value.split(separator: "\\", omittingEmptySubsequences: true).map { String($0).trimmingSpaces }
        let alternatives = query.split(separator: "\\", omittingEmptySubsequences: true).map { String($0).trimmingSpaces }
        return alternatives.contains { alternative in values.contains { one(alternative, $0, vr: vr) } }
    }

    private static func one(_ query: String, _ value: String, vr: ValueRepresentation) -> Bool {
        switch vr {
        case .UI:
            return query == value
        case .DA, .TM, .DT:
            guard let dash = query.firstIndex(of: "-") else {
                return normalised(query, vr: vr, upper: false) == normalised(value, vr: vr, upper: false)
            }
            let lower = String(query[..<dash]), upper = String(query[query.index(after: dash)...])
            let stored = normalised(value, vr: vr, upper: false)
            if !lower.isEmpty, stored < normalised(lower, vr: vr, upper: false) { return false }
            if !upper.isEmpty, stored > normalised(upper, vr: vr, upper: true) { return false }
            return true
        case .IS, .DS:
            if let a = Double(query), let b = Double(value) { return a == b }
            return query == value
        case .PN:
            // Person names match case-insensitively (PS3.4 C.2.2.2.1 lets the SCP choose), as PACS do.
            return wildcard(Array(query.uppercased()), Array(value.uppercased()))
        default:
            return wildcard(Array(query), Array(value))
        }
    }

    /// Digits only (the old "YYYY.MM.DD" and "HH:MM:SS" forms read as the new), padded so that
    /// values compare as text: a lower bound with zeros, an upper bound with nines, so "-1030"
    /// takes in 10:30:59.
    static func normalised(_ text: String, vr: ValueRepresentation, upper: Bool) -> String {
        let filler: Character = upper ? "9" : "0"
        var whole = text, fraction = ""
        if vr != .DA, let dot = text.firstIndex(of: ".") {
            whole = String(text[..<dot])
            fraction = String(text[text.index(after: dot)...])
        }
        whole = whole.filter(\.isNumber)
        let width = vr == .DA ? 8 : vr == .TM ? 6 : 14
        whole = String(whole.prefix(width))
        whole += String(repeating: filler, count: max(0, width - whole.count))
        if vr == .DA { return whole }
        fraction = String(fraction.filter(\.isNumber).prefix(6))
        fraction += String(repeating: filler, count: 6 - fraction.count)
        return whole + "." + fraction
    }

    /// `*` any run of characters, `?` one character.
    static func wildcard(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0
        var star: Int?, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
