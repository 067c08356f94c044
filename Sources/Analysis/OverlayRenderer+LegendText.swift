/// The legend's words in each language. English stays in capitals that ``BitmapFont`` can draw:
/// it is also the legend of the fallback when no font file can be used.
extension OverlayRenderer {
    struct LegendText: Sendable {
        /// A demonstration model's first lines.
        var demonstration: [String]
        /// The heading above the findings: flagged for review, not a diagnosis.
        var heading: String
        /// After a finding's probability when it is flagged, and after every finding of a demonstration model.
        var flagged: String
        var demonstrationMark: String

        /// Every character a font needs to draw this language's legend (bar the findings'
        /// names, which come from the model's manifest).
        var characters: String { (demonstration + [heading, flagged, demonstrationMark, "0123456789%"]).joined() }
    }

    static func legendText(_ language: LegendLanguage) -> LegendText {
        switch language {
        case .en:
            LegendText(
                demonstration: ["DEMONSTRATION MODEL - NOT FOR CLINICAL USE", "FINDINGS MEAN NOTHING ON REAL RADIOGRAPHS"],
                heading: "FLAGGED FOR REVIEW - NOT A DIAGNOSIS", flagged: "FLAGGED", demonstrationMark: "(DEMO)"
            )
        case .ru:
            LegendText(
                demonstration: ["ДЕМОНСТРАЦИОННАЯ МОДЕЛЬ — НЕ ДЛЯ КЛИНИЧЕСКОГО ПРИМЕНЕНИЯ", "ЕЁ НАХОДКИ НА РЕАЛЬНЫХ СНИМКАХ НИЧЕГО НЕ ЗНАЧАТ"],
                heading: "ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ", flagged: "ОТМЕЧЕНО", demonstrationMark: "(ДЕМО)"
            )
        }
    }
}
