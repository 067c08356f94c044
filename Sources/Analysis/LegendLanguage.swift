/// The language of the text the box burns into what it makes (the overlay's legend): the box's
/// language (`language` key), not a viewer's, since the pixels go to every PACS alike.
public enum LegendLanguage: String, Sendable, Hashable, Codable, CaseIterable {
    case en
    case ru
}
