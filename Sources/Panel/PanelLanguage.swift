/// The panel's two languages: a `lang` cookie (the switch) wins, then Accept-Language, then English.
public enum PanelLanguage: String, Sendable, Hashable, CaseIterable {
    case en
    case ru

    static func choose(cookie: String?, acceptLanguage: String?) -> PanelLanguage {
        if let cookie, let language = PanelLanguage(rawValue: cookie) { return language }
        guard let acceptLanguage else { return .en }
        var best: (language: PanelLanguage, quality: Double)?
        for part in acceptLanguage.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = fields.first?.lowercased() else { continue }
            let primary = String(tag.split(separator: "-").first ?? "")
            guard let language = PanelLanguage(rawValue: primary) else { continue }
            var quality = 1.0
            for field in fields.dropFirst() where field.hasPrefix("q=") {
                quality = Double(field.dropFirst(2)) ?? 0
            }
            if quality > 0, quality > (best?.quality ?? -1) { best = (language, quality) }
        }
        return best?.language ?? .en
    }

    /// The text in this language; English texts are their own keys.
    func callAsFunction(_ english: String) -> String {
        switch self {
        case .en: english
        case .ru: PanelTranslations.russian[english] ?? english
        }
    }
}
