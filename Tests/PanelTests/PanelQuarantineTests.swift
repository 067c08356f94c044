import BrowserTesting
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

/// The status page's quarantine figures and its Clear button.
@Suite("Panel quarantine")
struct PanelQuarantineTests {
    /// The status page's quarantine section.
    static func section(_ html: String) -> String? {
        html.components(separatedBy: "<section id=\"quarantine\">").dropFirst().first?.components(separatedBy: "</section>").first
    }

    @Test("the status page shows the quarantine's files and bytes; the technician's Clear empties it, audited as the technician on the panel; EN and RU")
    func showAndClear() async throws {
        let fixture = try await PanelFixture()
        for size in [700, 800, 900] { await fixture.quarantine(SyntheticDICOM.randomBytes(size)) }
        #expect(try fixture.store.quarantineSummary().files == 3)
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let before = try #require(Self.section(String(buffer: try await browser.get("/status").body)))
            #expect(before.contains("<b id=\"quarantine-files\">3</b>") && before.contains("2.4 KB"))
            #expect(before.contains("action=\"/quarantine/clear\"") && before.contains("id=\"clear-quarantine\""))
            let metrics = String(buffer: try await browser.get("/metrics").body)
            #expect(metrics.contains("fluorobox_quarantine_files 3") && metrics.contains("fluorobox_quarantine_bytes 2400"))

            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = try #require(Self.section(String(buffer: try await browser.get("/status").body)))
            #expect(russian.contains("Карантин") && russian.contains("Очистить карантин"))
            browser.acceptLanguage = nil

            let cleared = try await browser.post("/quarantine/clear", ["csrf": try await browser.csrfToken()])
            #expect(cleared.status == .seeOther && cleared.headers[.location] == "/status?quarantine-cleared=3")
            let after = String(buffer: try await browser.get(try #require(cleared.headers[.location])).body)
            #expect(after.contains("id=\"notice\"") && after.contains("Quarantine cleared, files removed: 3<"))
            let section = try #require(Self.section(after))
            #expect(section.contains("<b id=\"quarantine-files\">0</b>") && !section.contains("id=\"clear-quarantine\""))
        }
        #expect(try fixture.store.quarantineSummary().files == 0)
        let database = try DatabaseQueue(path: fixture.folder.path + "/store.sqlite")
        let audited = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT message FROM auditEvent WHERE kind = 'quarantine.cleared'")
        }
        try database.close()
        #expect(audited.count == 1 && audited.first?.hasPrefix("technician (panel) cleared the quarantine: 3 file(s)") == true)
    }

    @Test("a doctor sees the figures without the button and cannot clear; without the CSRF token nobody can")
    func refused() async throws {
        let fixture = try await PanelFixture()
        await fixture.quarantine(SyntheticDICOM.randomBytes(500))
        try await fixture.panel.makeApplication().test(.router) { client in
            var doctor = Browser(client)
            _ = try await doctor.logIn(.doctor)
            let section = try #require(Self.section(String(buffer: try await doctor.get("/status").body)))
            #expect(section.contains("<b id=\"quarantine-files\">1</b>") && !section.contains("<form"))
            #expect(try await doctor.post("/quarantine/clear", ["csrf": try await doctor.csrfToken()]).status == .forbidden)

            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            #expect(try await technician.post("/quarantine/clear", [:]).status == .forbidden)
            #expect(try await technician.post("/quarantine/clear", ["csrf": "forged"]).status == .forbidden)
        }
        #expect(try fixture.store.quarantineSummary().files == 1)
    }
}
