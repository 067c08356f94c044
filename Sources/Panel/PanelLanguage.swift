import BrowserAccess

/// The panel's two languages (the console's too): the switch's cookie, then Accept-Language.
public typealias PanelLanguage = InterfaceLanguage

extension InterfaceLanguage {
    /// The text in this language; English texts are their own keys.
    func callAsFunction(_ english: String) -> String {
        switch self {
        case .en: english
        case .ru: PanelTranslations.russian[english] ?? english
        }
    }
}
