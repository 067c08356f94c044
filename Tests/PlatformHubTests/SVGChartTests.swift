import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import PlatformHub
import Testing

/// The console's chart renderer on its own: well-formed XML whatever the names, bars and points
/// where their values put them, a title for screen readers.
@Suite struct SVGChartTests {
    /// What an XML parser reads back from a chart: each element with its attributes and text.
    final class Reading: NSObject, XMLParserDelegate {
        struct Element {
            var name: String
            var attributes: [String: String]
            var text = ""
        }

        var elements: [Element] = []
        private var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            open.append(elements.count)
            elements.append(Element(name: name, attributes: attributes))
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let index = open.last { elements[index].text += string }
        }

        /// Parses `svg`; records an issue (with the parser's error) when it is not well-formed XML.
        static func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) -> Reading {
            let reading = Reading()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = reading
            let parsed = parser.parse()
            #expect(parsed, "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") in \(svg)", sourceLocation: sourceLocation)
            return reading
        }

        func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }
    }

    static let hostile = "</title><script>alert(\"x\")</script> & 'co' \u{1}\u{FFFE}"

    @Test("a chart is well-formed SVG with a title; hostile names come back as text, never as markup")
    func wellFormedAndEscaped() throws {
        let chart = SVGChart(title: "Intake " + Self.hostile, categories: ["11-01", "11-02 " + Self.hostile, "11-03"], series: [
            .init("images " + Self.hostile, [4, 0, 10], mark: .bars, color: SVGChart.palette[0]),
            .init("results", [2, nil, 5], mark: .line, color: "\"><script>"),
        ], unit: "ms")
        let svg = chart.render(id: "chart\"<x>")
        let reading = Reading.parse(svg)
        #expect(reading.elements.first?.name == "svg")
        #expect(reading.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(reading.elements.first?.attributes["role"] == "img")
        #expect(reading.all("script").isEmpty, "a name became markup")
        let stripped = "</title><script>alert(\"x\")</script> & 'co' "
        let title = try #require(reading.all("title").first)
        #expect(title.text == "Intake " + stripped)
        #expect(reading.all("text").contains { $0.text == "images " + stripped })
        #expect(reading.all("title").contains { $0.text == "11-02 \(stripped) — images \(stripped): 0" })
        #expect(reading.all("desc").first?.text.contains("images \(stripped): 14") == true)
        #expect(!svg.contains("<script") && !svg.contains("\u{1}"))
    }

    @Test("bars stand as high as their values on a rounded axis; a line breaks where a day has no value")
    func geometry() throws {
        let chart = SVGChart(title: "t", categories: ["a", "b", "c", "d"], series: [
            .init("bars", [10, 35, 0, nil], mark: .bars, color: SVGChart.palette[0]),
            .init("other bars", [1, 2, 3, 4], mark: .bars, color: SVGChart.palette[1]),
            .init("line", [5, nil, 7, 8], mark: .line, color: SVGChart.palette[2]),
        ], width: 400, height: 200)
        let reading = Reading.parse(chart.render(id: "c"))
        let bars = reading.all("rect").filter { $0.attributes["data-value"] != nil }
        #expect(bars.map { $0.attributes["data-value"] } == ["10", "35", "0", "1", "2", "3", "4"], "no bar for a day without a value")
        // The axis runs to 40 (35 rounded up to a step of 10): 35 is 7/8 of the plot's height.
        let plot = 200 - SVGChart.top - SVGChart.bottom
        for bar in bars {
            let value = try #require(Double(bar.attributes["data-value"] ?? ""))
            let height = try #require(Double(bar.attributes["height"] ?? ""))
            let y = try #require(Double(bar.attributes["y"] ?? ""))
            #expect(abs(height - value / 40 * plot) < 0.01, "\(value): \(height)")
            #expect(abs(y + height - (SVGChart.top + plot)) < 0.01, "bars stand on the axis")
        }
        let ticks = reading.all("text").map(\.text)
        #expect(["0", "10", "20", "30", "40"].allSatisfy(ticks.contains), "\(ticks)")
        // Two bar series share a column side by side, not on top of each other.
        #expect(bars[0].attributes["x"] != bars[3].attributes["x"])
        let lines = reading.all("polyline")
        #expect(lines.count == 1 && lines[0].attributes["points"]?.split(separator: " ").count == 2, "the gap splits the line; a lone point is no segment")
        #expect(reading.all("circle").map { $0.attributes["data-value"] } == ["5", "7", "8"])
    }

    @Test("nothing to show still draws axes without NaN; round steps for the value axis")
    func emptyAndAxis() {
        let svg = SVGChart(title: "empty", categories: [], series: [.init("none", [], mark: .bars, color: "#000")]).render(id: "e")
        _ = Reading.parse(svg)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        #expect(SVGChart.axis(maximum: 0) == (1, 1))
        #expect(SVGChart.axis(maximum: 35) == (40, 10))
        #expect(SVGChart.axis(maximum: 7) == (8, 2))
        #expect(SVGChart.axis(maximum: 1234) == (1500, 500))
        #expect(SVGChart.axis(maximum: 1) == (1, 0.2))
        #expect(SVGChart.axis(maximum: 1, wholeNumbers: true) == (1, 1), "no ticks between counts")
        #expect(SVGChart.axis(maximum: 3, wholeNumbers: true) == (3, 1))
    }
}
