import BrowserAccess
import BrowserTesting
import FluoroboxTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import PlatformHub
import POSIXSupport
import Testing

/// The console's figures page on a real PostgreSQL: images, results and daily post-market
/// reports from devices in two regions (and one not placed), added up as by hand.
@Suite(
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .serialized
)
struct ConsoleFiguresTests {
    static let hostileModel = "x</title><script>alert('x')</script>&amp"
    static let hostileInstitution = #"<img src=x onerror="alert(1)"> & Co"#

    /// A result as a box sends it: the model's use (none: an older box's) and one finding.
    static func result(use: String?, flagged: Bool) -> DocumentBody {
        let model = use.map { #"{"id":"chest-triage","version":"2.1.0","use":"\#($0)"}"# } ?? #"{"id":"chest-triage","version":"2.1.0"}"#
        return DocumentBody(Array(#"{"schemaVersion":1,"model":\#(model),"findings":[{"id":"nodule","probability":0.7,"flaggedForReview":\#(flagged)}]}"#.utf8))
    }

    /// Uploads one small instance as a box does (one chunk).
    static func upload(_ store: any HubStoring, device: String, key: String) async throws {
        let bytes = StoreHarness.bytes(count: 512, seed: (device + key).utf8.reduce(7) { $0 &* 31 &+ UInt64($1) })
        let outcome = try await store.receiveChunk(
            device: device, key: key, upload: UploadHeaders(offset: 0, length: 512, sha256: SHA256Hex.string(of: bytes)), body: StoreHarness.body(bytes[...])
        )
        guard case .completed = outcome else { throw HubError(.storage, "\(key) not completed: \(outcome)") }
    }

    /// Each <svg>…</svg> of a page, parsed.
    static func charts(in page: String) -> [(id: String, reading: SVGChartTests.Reading)] {
        page.ranges(of: "<svg ").map { start in
            let end = page.range(of: "</svg>", range: start.lowerBound..<page.endIndex)!.upperBound
            let reading = SVGChartTests.Reading.parse(String(page[start.lowerBound..<end]))
            return (reading.elements.first?.attributes["id"] ?? "", reading)
        }
    }

    @Test("intake per day and per place, and per model version the post-market figures, equal the sums by hand; filters; RU and EN; charts well-formed")
    func figures() async throws {
        try await ConsoleTests.withConsole("pg-console-figures") { server, store, client in
            let tver = "Тверская область", pskov = "Псковская область"
            try await store.setInstitution(DeviceInstitution(region: tver, name: "ЦРБ № 2", taxID: "7707083893", oid: nil), device: "tver-1")
            try await store.setInstitution(DeviceInstitution(region: tver, name: "ФАП Мирный", taxID: "7707083893", oid: nil), device: "tver-2")
            try await store.setInstitution(DeviceInstitution(region: pskov, name: Self.hostileInstitution, taxID: nil, oid: "1.2.643.5.1"), device: "pskov-1")

            // Images and results, then moved to the UTC moment they are to count on.
            let received: [(String, String, String)] = [
                ("tver-1", "instance:1", "2026-11-02 08:00"), ("tver-1", "instance:2", "2026-11-02 12:00"), ("tver-1", "instance:3", "2026-11-02 23:59:59"),
                ("tver-1", "instance:4", "2026-11-03 00:00"), ("tver-2", "instance:1", "2026-11-02 10:00"), ("tver-2", "instance:2", "2026-11-02 11:00"),
                ("pskov-1", "instance:1", "2026-11-05 09:00"), ("unplaced-1", "instance:1", "2026-11-04 09:00"),
                ("tver-1", "instance:0", "2026-10-31 23:59:59"), ("tver-2", "instance:9", "2026-11-08 00:00"),
            ]
            for (device, key, _) in received { try await Self.upload(store, device: device, key: key) }
            let results: [(String, String, DocumentBody, String)] = [
                ("tver-1", "result:1", Self.result(use: "clinical", flagged: true), "2026-11-02 09:00"),
                ("tver-1", "result:2", Self.result(use: "clinical", flagged: false), "2026-11-02 13:00"),
                ("tver-1", "result:3", Self.result(use: "clinical", flagged: true), "2026-11-03 10:00"),
                ("tver-2", "result:1", Self.result(use: "clinical", flagged: false), "2026-11-02 12:00"),
                ("pskov-1", "result:1", Self.result(use: "demonstration", flagged: true), "2026-11-05 10:00"),
                ("pskov-1", "result:2", Self.result(use: nil, flagged: true), "2026-11-05 11:00"),
                ("tver-2", "result:9", Self.result(use: "clinical", flagged: true), "2026-11-08 01:00"),
            ]
            for (device, key, body, _) in results {
                #expect(try await store.putDocument(key: key, kind: "result", device: device, serial: nil, document: body))
            }
            var moves = ""
            for (device, key, at) in received.map({ ($0.0, $0.1, $0.2) }) + results.map({ ($0.0, $0.1, $0.3) }) {
                moves += "UPDATE item SET received_at = '\(at)+00' WHERE device = '\(device)' AND key = '\(key)';\n"
            }
            _ = try await server.sql(moves, database: "hub")

            let daily = RegulatorReportTests.daily
            let reports: [(String, String, String)] = [
                ("tver-1", "2026-11-02", daily("tver-1", "chest-triage", "2.1.0", "2026-11-02", 10, 3, 1, 2, 1, 0, 1, 0, 400, 900, "clinical", nil)),
                ("tver-1", "2026-11-03", daily("tver-1", "chest-triage", "2.1.0", "2026-11-03", 6, 1, 0, 1, 0, 1, 0, 0, 500, 1000, "clinical", nil)),
                ("tver-2", "2026-11-02", daily("tver-2", "chest-triage", "2.1.0", "2026-11-02", 30, 5, 2, 4, 1, 0, 0, 0, 300, 1200, "clinical", nil)),
                ("unplaced-1", "2026-11-04", daily("unplaced-1", "chest-triage", "2.1.0", "2026-11-04", 4, 0, 0, 0, 0, 0, 0, 0, 450, 800, "clinical", nil)),
                ("pskov-1", "2026-11-02", daily("pskov-1", Self.hostileModel, "2.2.0", "2026-11-02", 8, 2, 0, 2, 0, 0, 0, 0, 350, 700, "clinical", nil)),
                ("pskov-1", "2026-11-05", daily("pskov-1", "chest-phantom-demo", "1.0.0", "2026-11-05", 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, "demonstration", nil)),
                ("tver-1", "2026-10-31", daily("tver-1", "chest-triage", "2.1.0", "2026-10-31", 100, 9, 9, 9, 9, 9, 9, 0, 100, 100, "clinical", nil)),
                ("tver-2", "2026-11-08", daily("tver-2", "chest-triage", "2.1.0", "2026-11-08", 100, 9, 9, 9, 9, 9, 9, 0, 100, 100, "clinical", nil)),
            ]
            for (index, (device, day, body)) in reports.enumerated() {
                #expect(try await store.putDocument(key: "report:\(device):\(index):\(day)", kind: "report", device: device, serial: nil, document: DocumentBody(Array(body.utf8))))
            }

            var english = Browser(client, acceptLanguage: "en")
            _ = try await english.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let response = try await english.get("/figures?from=2026-11-01&to=2026-11-07")
            #expect(response.status == .ok)
            let page = String(buffer: response.body)
            #expect(page.contains("Intake and results per day") && page.contains("id=\"nav-figures\""))
            // By hand: 8 images in the period (two fall just outside), 4 clinical results, 2 of them flagged,
            // 2 demonstration results (one marked so, one from an older box without a mark) kept apart.
            for (id, value) in [("total-images", 8), ("total-results", 4), ("total-flagged", 2), ("total-demonstration", 2)] {
                #expect(page.contains("id=\"\(id)\">\(value)<"), "\(id) should be \(value)")
            }
            let dayRows = [
                ("2026-11-01", [0, 0, 0, 0]), ("2026-11-02", [5, 3, 1, 0]), ("2026-11-03", [1, 1, 1, 0]), ("2026-11-04", [1, 0, 0, 0]),
                ("2026-11-05", [1, 0, 0, 2]), ("2026-11-06", [0, 0, 0, 0]), ("2026-11-07", [0, 0, 0, 0]),
            ]
            for (day, counts) in dayRows {
                let row = "<tr id=\"intake-\(day)\"><td>\(day)</td><td>\(counts[0])</td><td>\(counts[1])</td><td>\(counts[2])</td><td class=\"demo\">\(counts[3])</td></tr>"
                #expect(page.contains(row), "\(day): \(counts)")
            }
            #expect(!page.contains("intake-2026-10-31") && !page.contains("intake-2026-11-08"))
            // Per region (subtotal) and institution, the places not recorded last.
            for row in [
                "<tr class=\"subtotal\"><th>\(pskov)</th><th>all</th><th>1</th><th>0</th><th>0</th><th class=\"demo\">2</th></tr>",
                "<tr><td></td><td>\(HTMLText.escape(Self.hostileInstitution))</td><td>1</td><td>0</td><td>0</td><td class=\"demo\">2</td></tr>",
                "<tr class=\"subtotal\"><th>\(tver)</th><th>all</th><th>6</th><th>4</th><th>2</th><th class=\"demo\">0</th></tr>",
                "<tr><td></td><td>ЦРБ № 2</td><td>4</td><td>3</td><td>2</td><td class=\"demo\">0</td></tr>",
                "<tr><td></td><td>ФАП Мирный</td><td>2</td><td>1</td><td>0</td><td class=\"demo\">0</td></tr>",
                "<tr><td></td><td><span class=\"na\">not recorded</span></td><td>1</td><td>0</td><td>0</td><td class=\"demo\">0</td></tr>",
            ] {
                #expect(page.contains(row), "\(row)")
            }
            #expect(!page.contains("<img src=x"), "an institution's name is text")
            // Per model version: 2.1.0 on three devices, 10 + 6 + 30 + 4 processed; p50 weighted by what
            // each processed: (400·10 + 500·6 + 300·30 + 450·4) / 50 = 356; p95 the highest, 1200.
            #expect(page.contains("<tr id=\"version-0\"><td>chest-triage@2.1.0</td><td>3</td><td>50</td><td>9</td><td>3</td><td>7 / 2 / 1</td><td>356 / 1200</td><td>1</td></tr>"))
            #expect(page.contains("<tr id=\"version-1\"><td>\(HTMLText.escape(Self.hostileModel))@2.2.0</td><td>1</td><td>8</td><td>2</td><td>0</td><td>2 / 0 / 0</td><td>350 / 700</td><td>0</td></tr>"))
            #expect(page.contains("<tr id=\"version-2\" class=\"demo\"><td>chest-phantom-demo@1.0.0 <span class=\"badge demo\">demonstration model, not clinical</span>"))
            #expect(page.contains("id=\"demonstration-note\">Demonstration models&#39; results are left out of every clinical figure; results left out: 5<"))

            let charts = Self.charts(in: page)
            #expect(charts.map(\.id) == ["chart-intake", "chart-verdicts-0", "chart-latency-0", "chart-verdicts-1", "chart-latency-1"], "no charts of a demonstration model")
            let intake = try #require(charts.first)
            #expect(intake.reading.all("rect").compactMap { $0.attributes["data-value"] } == ["0", "5", "1", "1", "1", "0", "0"])
            #expect(intake.reading.all("circle").compactMap { $0.attributes["data-value"] } == ["0", "3", "1", "0", "0", "0", "0", "0", "1", "1", "0", "0", "0", "0"])
            let latency = charts[2].reading
            // 11-02: (400·10 + 300·30) / 40 = 325 and 1200; 11-03: 500 and 1000; 11-04: 450 and 800; no reports on other days.
            #expect(latency.all("circle").compactMap { $0.attributes["data-value"] } == ["325", "500", "450", "1200", "1000", "800"])
            #expect(charts[1].reading.all("rect").compactMap { $0.attributes["data-value"] } == ["6", "1", "0", "2", "0", "0", "0", "1", "0"])
            let hostileTitle = try #require(charts[3].reading.all("title").first)
            #expect(hostileTitle.text == "\(Self.hostileModel)@2.2.0 — Doctor agree / disagree / missed")
            #expect(charts[3].reading.all("script").isEmpty)

            // One region, as a browser's GET form sends it (a space as "+"); one institution.
            let region = String(buffer: try await english.get("/figures?from=2026-11-01&to=2026-11-07&region=" + HTMLText.percentEncode(tver).replacingOccurrences(of: "%20", with: "+")).body)
            #expect(region.contains("id=\"total-images\">6<") && region.contains("id=\"total-results\">4<") && region.contains("id=\"total-demonstration\">0<"))
            #expect(region.contains("<td>chest-triage@2.1.0</td><td>2</td><td>46</td>") && !region.contains("@2.2.0") && !region.contains("chest-phantom-demo"))
            #expect(region.contains("<option value=\"\(tver)\" selected>"))
            let institution = String(buffer: try await english.get("/figures?from=2026-11-01&to=2026-11-07&institution=" + HTMLText.percentEncode(Self.hostileInstitution)).body)
            #expect(institution.contains("id=\"total-images\">1<") && institution.contains("id=\"total-demonstration\">2<"))
            #expect(institution.contains("@2.2.0</td><td>1</td><td>8</td>") && !institution.contains("chest-triage@2.1.0"))
            #expect(institution.contains("<option value=\"\(HTMLText.escape(Self.hostileInstitution))\" selected>"))

            // Russian, the same figures.
            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let ru = String(buffer: try await russian.get("/figures?from=2026-11-01&to=2026-11-07").body)
            for words in ["Поступление и результаты по дням", "Получено снимков", "Пострегистрационные показатели по версиям моделей", "демонстрационная модель, не клиническая", "id=\"total-images\">8<"] {
                #expect(ru.contains(words), "\(words)")
            }
            #expect(Self.charts(in: ru).first?.reading.all("title").first?.text == "Поступление и результаты по дням")

            // The default period is the last 30 days; a period backwards or over a year is refused.
            let today = ConsoleFigures.dayFormatter().string(from: Date())
            let start = ConsoleFigures.dayFormatter().string(from: Date() - 29 * 86_400)
            let plain = String(buffer: try await english.get("/figures").body)
            #expect(plain.contains("id=\"from\" name=\"from\" type=\"date\" value=\"\(start)\"") && plain.contains("value=\"\(today)\""))
            #expect(Self.charts(in: plain).first?.reading.all("rect").filter { $0.attributes["data-value"] != nil }.count == 30)
            #expect(try await english.get("/figures?from=2026-11-07&to=2026-11-01").status == .badRequest)
            #expect(try await english.get("/figures?from=2025-01-01&to=2026-11-01").status == .badRequest)
            #expect(try await english.get("/figures?from=2026-02-30&to=2026-03-01").status == .badRequest)
        }
    }
}

/// The single-machine store counts a day's intake by the same rules.
@Suite struct ConsoleFiguresSQLiteTests {
    @Test("the SQLite store counts images, clinical and flagged results, and demonstration results per device and day")
    func sqliteIntake() async throws {
        let folder = TemporaryDirectory("hub-sqlite-figures")
        let store = try HubStore(directory: folder.path)
        for (device, key) in [("box-a", "instance:1"), ("box-a", "instance:2"), ("box-b", "instance:1")] {
            try await ConsoleFiguresTests.upload(store, device: device, key: key)
        }
        let documents: [(String, String, DocumentBody)] = [
            ("box-a", "result:1", ConsoleFiguresTests.result(use: "clinical", flagged: true)),
            ("box-a", "result:2", ConsoleFiguresTests.result(use: "clinical", flagged: false)),
            ("box-a", "result:3", ConsoleFiguresTests.result(use: "demonstration", flagged: true)),
            ("box-b", "result:1", ConsoleFiguresTests.result(use: nil, flagged: false)),
        ]
        for (device, key, body) in documents {
            #expect(try await store.putDocument(key: key, kind: "result", device: device, serial: nil, document: body))
        }
        let report = RegulatorReportTests.daily(device: "box-a", day: "2026-11-02", processed: 3)
        #expect(try await store.putDocument(key: "report:box-a:x", kind: "report", device: "box-a", serial: nil, document: DocumentBody(Array(report.utf8))))
        let today = ConsoleFigures.dayFormatter().string(from: Date())
        let yesterday = ConsoleFigures.dayFormatter().string(from: Date() - 86_400)
        let tomorrow = ConsoleFigures.dayFormatter().string(from: Date() + 86_400)
        let counted = try await store.dailyIntake(from: today, to: today)
        #expect(counted == [
            DailyIntake(day: today, device: "box-a", instances: 2, results: 2, flaggedResults: 1, demonstrationResults: 1),
            DailyIntake(day: today, device: "box-b", instances: 1, results: 0, flaggedResults: 0, demonstrationResults: 1),
        ], "\(counted)")
        #expect(try await store.dailyIntake(from: yesterday, to: yesterday).isEmpty)
        #expect(try await store.dailyIntake(from: yesterday, to: tomorrow) == counted)
        #expect(try await store.dailyIntake(from: tomorrow, to: tomorrow).isEmpty)
    }
}
