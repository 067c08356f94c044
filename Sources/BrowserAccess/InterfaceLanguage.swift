import Foundation

/// The two languages of the box's panel and the hub's console: a `lang` cookie (the switch)
/// wins, then Accept-Language, then the UI's own default (English unless configured). Each UI
/// translates with its own table.
public enum InterfaceLanguage: String, Sendable, Hashable, CaseIterable {
    case en
    case ru

    public static func choose(cookie: String?, acceptLanguage: String?, otherwise fallback: InterfaceLanguage = .en) -> InterfaceLanguage {
        if let cookie, let language = InterfaceLanguage(rawValue: cookie) { return language }
        guard let acceptLanguage else { return fallback }
        var best: (language: InterfaceLanguage, quality: Double)?
        for part in acceptLanguage.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first?.lowercased() else { continue }
            let primary = String(tag.split(separator: "-").first ?? "")
            guard let language = InterfaceLanguage(rawValue: primary) else { continue }
            var quality = 1.0
            for field in fields.dropFirst() where field.hasPrefix("q=") {
                quality = Double(field.dropFirst(2)) ?? 0
            }
            if quality > 0, quality > (best?.quality ?? -1) { best = (language, quality) }
        }
        return best?.language ?? fallback
    }
}
