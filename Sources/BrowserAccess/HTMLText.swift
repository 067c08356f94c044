import Foundation

/// Text made safe for HTML and URLs, and figures as people read them, for every page a browser gets.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }

    public static func percentEncode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// "1.5 MB": decimal units, one decimal above bytes.
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1000, unit < units.count - 1 {
            amount /= 1000
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", amount, units[unit])
    }

    /// "3 d 4 h", "2 h 5 min", "40 s"; `translate` gives the units (`d`, `h`, `min`, `s`) in the page's language.
    public static func duration(seconds: Int, translate: (String) -> String) -> String {
        let seconds = max(0, seconds)
        let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60)
        if d > 0 { return "\(d) \(translate("d")) \(h) \(translate("h"))" }
        if h > 0 { return "\(h) \(translate("h")) \(m) \(translate("min"))" }
        if m > 0 { return "\(m) \(translate("min"))" }
        return "\(seconds) \(translate("s"))"
    }

    /// The headers of every HTML page: never cached, never framed, nothing but the site's own
    /// styles, scripts and images.
    public static let pageHeaders: [(name: String, value: String)] = [
        ("Cache-Control", "no-store"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    ]

    /// A path on this site to go back to after login or a language switch, else `/`. Only an
    /// absolute path with a single leading `/`: no scheme or host, no backslash (browsers read
    /// `/\host` as `//host`), no control characters (browsers drop tab, CR and LF, turning
    /// `/<tab>/host` into `//host`), nothing but printable ASCII.
    public static func safeLocalPath(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"),
              candidate.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "\\" })
        else { return "/" }
        return candidate
    }

    /// application/x-www-form-urlencoded and query strings.
    public static func decodeForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func clean(_ value: Substring) -> String {
                String(value).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(value)
            }
            guard let name = parts.first else { continue }
            fields[clean(name)] = parts.count > 1 ? clean(parts[1]) : ""
        }
        return fields
    }

    /// Whether a login-form CSRF token read back from its cookie is one ``RandomToken/make(bytes:)`` made.
    public static func isToken(_ text: String) -> Bool {
        text.count == 43 && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }
}
