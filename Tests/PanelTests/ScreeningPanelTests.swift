import BrowserTesting
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

/// The registration page's section of the platform's screening list.
struct ScreeningPanelTests {
    @Test("the registration page lists the platform's screening entries with their accession, due date and state, in English and Russian")
    func screeningSection() async throws {
        let fixture = try await PanelFixture()
        try fixture.store.replaceScreeningList([
            ScreeningEntryRecord(accessionNumber: "S100000007", patientID: "X-1", patientName: "Иванов^Иван", birthDate: "19700115", sex: "M", dueDate: "20261209", note: nil),
        ], eTag: "\"sl-1\"")
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let page = String(buffer: try await browser.get("/register").body)
            let section = try #require(page.components(separatedBy: "<section id=\"screening\">").last)
            #expect(section.contains("Due for screening (platform list)") && section.contains("<td>S100000007</td>"), "\(section)")
            #expect(section.contains("Иванов Иван (X-1)") && section.contains("<td>2026-12-09</td>"), "\(section)")
            #expect(section.contains("<td class=\"screening-state\">scheduled</td>"))
            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn(.technician)
            let ru = String(buffer: try await russian.get("/register").body)
            #expect(ru.contains("Подлежат профилактическому осмотру (список платформы)") && ru.contains("<td class=\"screening-state\">запланирован</td>"))
        }
    }
}
