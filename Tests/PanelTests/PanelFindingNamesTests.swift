import BrowserTesting
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Panel
import Testing

/// The study page names each finding as the package's manifest does in the browser's language
/// (the report carries the names, `localizedDisplay`), in English where the package gives none.
@Suite("Panel names findings in the browser's language")
struct PanelFindingNamesTests {
    @Test("a Russian browser sees the Russian name of a finding that has one and the English name of one that has not; an English browser the English names")
    func russianNames() async throws {
        let fixture = try await PanelFixture()
        let database = try DatabaseQueue(path: fixture.folder.path + "/store.sqlite")
        try await database.write { db in
            var report = try #require(try JSONSerialization.jsonObject(with: Data(PanelFixture.reportJSON(flagged: true, verdict: "acceptable", problems: []).utf8)) as? [String: Any])
            var findings = try #require(report["findings"] as? [[String: Any]])
            findings[0]["localizedDisplay"] = ["ru": "Очаг", "kk": "Ошақ"]
            report["findings"] = findings
            let json = String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self)
            try db.execute(sql: "UPDATE result SET report = ? WHERE instanceID = ?", arguments: [json, fixture.flaggedInstanceID])
        }
        try database.close()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            func names(_ html: String) -> [String] {
                html.components(separatedBy: "<span class=\"finding\">").dropFirst().compactMap { span in
                    span.components(separatedBy: "</i>").dropFirst().first?.components(separatedBy: " <small>").first
                }
            }
            let english = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            #expect(names(english) == ["Nodule 91%", "Pleural effusion 10%"], "\(names(english))")
            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            #expect(names(russian) == ["Очаг 91%", "Pleural effusion 10%"], "\(names(russian))")
        }
    }
}
