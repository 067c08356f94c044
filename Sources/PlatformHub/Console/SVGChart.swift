import BrowserAccess
import Foundation

/// A small chart drawn on the server as SVG: a value axis from zero with rounded ticks, one
/// category per column (days), bars side by side and lines over them, a legend. No script, no
/// stylesheet from elsewhere: it shows in any browser, offline, and prints. Every text is escaped
/// for XML; the chart has a <title> and <desc> for screen readers and each bar and point a
/// <title> with its value (the browser shows it as a tooltip).
struct SVGChart: Sendable {
    enum Mark: Sendable { case bars, line }

    struct Series: Sendable {
        var name: String
        /// One per category; nil: nothing that day (a gap in a line, no bar).
        var values: [Double?]
        var mark: Mark
        var color: String

        init(_ name: String, _ values: [Double?], mark: Mark, color: String) {
            self.name = name
            self.values = values
            self.mark = mark
            self.color = color
        }
    }

    var title: String
    var categories: [String]
    var series: [Series]
    /// The value axis' unit, beside its top tick ("ms").
    var unit = ""
    /// Counts: no tick between whole numbers.
    var wholeNumbers = false
    var width = 720
    var height = 240

    /// Colours that stay apart for the common forms of colour blindness (Okabe–Ito).
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9"]

    static let left = 56.0, right = 12.0, top = 30.0, bottom = 34.0

    /// The value axis' top and step: a round step (1, 2 or 5 × 10ⁿ; at least 1 for whole
    /// numbers) giving at most five ticks above zero; 0 and 1 when there is nothing to show.
    static func axis(maximum: Double, wholeNumbers: Bool = false) -> (top: Double, step: Double) {
        guard maximum.isFinite, maximum > 0 else { return (1, 1) }
        let raw = maximum / 5
        let magnitude = pow(10, floor(log10(raw)))
        let round = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let step = wholeNumbers ? max(round, 1) : round
        return ((maximum / step).rounded(.up) * step, step)
    }

    func render(id: String) -> String {
        let plotWidth = Double(width) - Self.left - Self.right
        let plotHeight = Double(height) - Self.top - Self.bottom
        let values = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
        let (axisTop, step) = Self.axis(maximum: values.max() ?? 0, wholeNumbers: wholeNumbers)
        let columns = max(categories.count, 1)
        let columnWidth = plotWidth / Double(columns)
        func y(_ value: Double) -> Double { Self.top + plotHeight - max(0, min(value, axisTop)) / axisTop * plotHeight }
        func x(_ column: Int) -> Double { Self.left + (Double(column) + 0.5) * columnWidth }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" id="\(Self.text(id))" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" role="img" aria-labelledby="\(Self.text(id))-title \(Self.text(id))-desc">\
            <title id="\(Self.text(id))-title">\(Self.text(title))</title>\
            <desc id="\(Self.text(id))-desc">\(Self.text(summary()))</desc>

            """
        // Value axis: gridlines and ticks.
        var tick = 0.0
        while tick <= axisTop + step / 2 {
            let at = Self.number(y(tick))
            svg += "<line class=\"grid\" x1=\"\(Self.number(Self.left))\" y1=\"\(at)\" x2=\"\(Self.number(Self.left + plotWidth))\" y2=\"\(at)\" stroke=\"#e3e7eb\"/>"
            svg += "<text x=\"\(Self.number(Self.left - 6))\" y=\"\(at)\" dy=\"4\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">\(Self.text(Self.label(tick)))</text>\n"
            tick += step
        }
        if !unit.isEmpty {
            svg += "<text x=\"\(Self.number(Self.left - 6))\" y=\"\(Self.number(Self.top - 16))\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">\(Self.text(unit))</text>\n"
        }
        // Category axis: at most about ten labels, so thirty days stay legible.
        let every = max(1, Int((Double(categories.count) / 10).rounded(.up)))
        for (column, category) in categories.enumerated() where column % every == 0 {
            svg += "<text x=\"\(Self.number(x(column)))\" y=\"\(Self.number(Self.top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">\(Self.text(category))</text>\n"
        }
        svg += "<line class=\"axis\" x1=\"\(Self.number(Self.left))\" y1=\"\(Self.number(Self.top + plotHeight))\" x2=\"\(Self.number(Self.left + plotWidth))\" y2=\"\(Self.number(Self.top + plotHeight))\" stroke=\"#1b1f24\"/>"
        svg += "<line class=\"axis\" x1=\"\(Self.number(Self.left))\" y1=\"\(Self.number(Self.top))\" x2=\"\(Self.number(Self.left))\" y2=\"\(Self.number(Self.top + plotHeight))\" stroke=\"#1b1f24\"/>\n"

        let barSeries = series.filter { $0.mark == .bars }
        let barWidth = columnWidth * 0.8 / Double(max(barSeries.count, 1))
        for (index, bars) in barSeries.enumerated() {
            svg += "<g class=\"bars\" fill=\"\(Self.text(bars.color))\">"
            for (column, value) in bars.values.prefix(categories.count).enumerated() {
                guard let value, value.isFinite else { continue }
                let left = Self.left + Double(column) * columnWidth + columnWidth * 0.1 + Double(index) * barWidth
                let topEdge = y(value)
                svg += "<rect x=\"\(Self.number(left))\" y=\"\(Self.number(topEdge))\" width=\"\(Self.number(barWidth))\" "
                svg += "height=\"\(Self.number(Self.top + plotHeight - topEdge))\" data-value=\"\(Self.label(value))\">"
                svg += "<title>\(Self.text("\(categories[column]) — \(bars.name): \(Self.label(value))"))</title></rect>"
            }
            svg += "</g>\n"
        }
        for line in series where line.mark == .line {
            svg += "<g class=\"line\" stroke=\"\(Self.text(line.color))\" fill=\"\(Self.text(line.color))\">"
            var segment: [String] = []
            func flush() {
                if segment.count > 1 { svg += "<polyline fill=\"none\" stroke-width=\"2\" points=\"\(segment.joined(separator: " "))\"/>" }
                segment = []
            }
            for (column, value) in line.values.prefix(categories.count).enumerated() {
                guard let value, value.isFinite else { flush(); continue }
                segment.append("\(Self.number(x(column))),\(Self.number(y(value)))")
            }
            flush()
            for (column, value) in line.values.prefix(categories.count).enumerated() {
                guard let value, value.isFinite else { continue }
                svg += "<circle cx=\"\(Self.number(x(column)))\" cy=\"\(Self.number(y(value)))\" r=\"3\" data-value=\"\(Self.label(value))\">"
                svg += "<title>\(Self.text("\(categories[column]) — \(line.name): \(Self.label(value))"))</title></circle>"
            }
            svg += "</g>\n"
        }
        // Legend along the top.
        var legendX = Self.left
        for entry in series {
            svg += "<rect x=\"\(Self.number(legendX))\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(Self.text(entry.color))\"/>"
            svg += "<text class=\"legend\" x=\"\(Self.number(legendX + 16))\" y=\"18\" font-size=\"12\" fill=\"#1b1f24\">\(Self.text(entry.name))</text>\n"
            legendX += 28 + Double(min(entry.name.count, 40)) * 7.5
        }
        return svg + "</svg>"
    }

    /// What the chart shows, for a screen reader: each series' total (bars) or range (lines).
    func summary() -> String {
        let span = categories.isEmpty ? "" : "\(categories[0]) – \(categories[categories.count - 1]). "
        return span + series.map { entry in
            let values = entry.values.compactMap { $0 }.filter(\.isFinite)
            switch entry.mark {
            case .bars: return "\(entry.name): \(Self.label(values.reduce(0, +)))"
            case .line: return values.isEmpty ? "\(entry.name): —" : "\(entry.name): \(Self.label(values.min()!))–\(Self.label(values.max()!))"
            }
        }.joined(separator: "; ")
    }

    /// A coordinate: two decimals at most, a point whatever the locale.
    static func number(_ value: Double) -> String {
        String(format: "%.2f", value.isFinite ? value : 0)
    }

    /// A value as a label: whole numbers bare, others with one decimal.
    static func label(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }

    /// Text for XML: characters XML 1.0 cannot hold at all dropped, markup escaped.
    static func text(_ text: String) -> String {
        let allowed = String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
            default: false
            }
        }))
        return HTMLText.escape(allowed)
    }
}
