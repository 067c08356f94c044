import BrowserTesting
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

/// The technician's list of analyses that failed for good, and its retry and dismiss buttons.
@Suite("Panel failed analyses")
struct PanelFailedAnalysesTests {
    /// The list's row for one analysis, up to its end.
    static func row(_ id: Int64, in html: String) -> String? {
        html.components(separatedBy: "data-analysis=\"\(id)\"").dropFirst().first?.components(separatedBy: "</tr>").first
    }

    /// Audit events of one kind, with their messages.
    static func auditMessages(_ fixture: PanelFixture, kind: String) async throws -> [String] {
        let database = try DatabaseQueue(path: fixture.folder.path + "/store.sqlite")
        defer { try? database.close() }
        return try await database.read { db in
            try String.fetchAll(db, sql: "SELECT message FROM auditEvent WHERE kind = ? ORDER BY id", arguments: [kind])
        }
    }

    @Test("the list shows study, instance, task, attempts, reason and time of each; the status page counts them with a link; metrics and live figures count them; EN and RU")
    func list() async throws {
        let fixture = try await PanelFixture()
        let unreadable = try await fixture.addFailedAnalysis(seed: 11, reason: "cannot read the image: truncated pixel data")
        let model = try await fixture.addFailedAnalysis(seed: 12, reason: "the model could not load: signature mismatch")
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let page = try await browser.get("/analyses/failed")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            for failed in [unreadable, model] {
                let row = try #require(Self.row(failed.id, in: html), "no row for analysis \(failed.id)")
                for text in [failed.studyInstanceUID, failed.sopInstanceUID, failed.task, failed.reason, HTML_dateTime(try #require(failed.failedAt))] {
                    #expect(row.contains(text), "row of analysis \(failed.id) lacks \(text)")
                }
                #expect(row.contains("<td class=\"attempts\">1</td>"))
                #expect(row.contains("href=\"/studies/\(failed.studyInstanceUID)\""))
                #expect(row.contains("action=\"/analyses/\(failed.id)/retry\"") && row.contains("action=\"/analyses/\(failed.id)/dismiss\""))
            }
            // Newest first, as the store lists them.
            #expect(try #require(html.range(of: "data-analysis=\"\(model.id)\"")).lowerBound < (try #require(html.range(of: "data-analysis=\"\(unreadable.id)\""))).lowerBound)

            let status = String(buffer: try await browser.get("/status").body)
            #expect(status.contains("<a href=\"/analyses/failed\" id=\"failed-analyses\">"))
            #expect(status.contains("data-live=\"failedAnalyses\">2<"))
            let events = String(buffer: try await browser.get("/events").body)
            #expect(events.contains("\"failedAnalyses\":\"2\""))
            let metrics = String(buffer: try await browser.get("/metrics").body)
            #expect(metrics.contains("fluorobox_analyses_failed_undismissed 2"))

            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await browser.get("/analyses/failed").body)
            for text in ["Анализы с ошибкой", "Повторить", "Скрыть", "Попыток", unreadable.reason] {
                #expect(russian.contains(text), "Russian list lacks \(text)")
            }
        }
    }

    @Test("with nothing failed the list says so and the status page counts none")
    func empty() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let html = String(buffer: try await browser.get("/analyses/failed").body)
            #expect(html.contains("No analysis needs attention.") && !html.contains("data-analysis="))
            #expect(String(buffer: try await browser.get("/status").body).contains("data-live=\"failedAnalyses\">0<"))
        }
    }

    @Test("a technician's retry queues the analysis again and a dismissal hides it, both audited as the technician on the panel; a second dismiss or a retry of a retried one answers a clear message, not an error page")
    func retryAndDismiss() async throws {
        let fixture = try await PanelFixture()
        let retried = try await fixture.addFailedAnalysis(seed: 21, reason: "cannot read the image: test one")
        let dismissed = try await fixture.addFailedAnalysis(seed: 22, reason: "cannot read the image: test two")
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let csrf = try await browser.csrfToken()

            let retry = try await browser.post("/analyses/\(retried.id)/retry", ["csrf": csrf])
            #expect(retry.status == .seeOther && retry.headers[.location] == "/analyses/failed?retried=\(retried.id)")
            let afterRetry = String(buffer: try await browser.get(try #require(retry.headers[.location])).body)
            #expect(afterRetry.contains("id=\"notice\"") && afterRetry.contains("Queued again: analysis \(retried.id)<"))
            #expect(Self.row(retried.id, in: afterRetry) == nil && Self.row(dismissed.id, in: afterRetry) != nil)
            #expect(try fixture.store.analysisCounts(tasks: ["chest-xray"])[.pending] == 1)

            let dismiss = try await browser.post("/analyses/\(dismissed.id)/dismiss", ["csrf": csrf])
            #expect(dismiss.status == .seeOther && dismiss.headers[.location] == "/analyses/failed?dismissed=\(dismissed.id)")
            let afterDismiss = String(buffer: try await browser.get(try #require(dismiss.headers[.location])).body)
            #expect(afterDismiss.contains("Dismissed (it stays failed and leaves this list): analysis \(dismissed.id)<"))
            #expect(afterDismiss.contains("No analysis needs attention."))
            #expect(try fixture.store.failedAnalyses().isEmpty)

            let again = try await browser.post("/analyses/\(dismissed.id)/dismiss", ["csrf": csrf])
            #expect(again.status == .conflict)
            let againHTML = String(buffer: again.body)
            #expect(againHTML.contains("id=\"action-refused\"") && againHTML.contains("Nothing was changed: this analysis was already retried or dismissed."))
            #expect(againHTML.contains("already dismissed by technician (panel)"))

            let retryAgain = try await browser.post("/analyses/\(retried.id)/retry", ["csrf": csrf])
            #expect(retryAgain.status == .conflict && String(buffer: retryAgain.body).contains("Nothing was changed"))

            let missing = try await browser.post("/analyses/999999/retry", ["csrf": csrf])
            #expect(missing.status == .notFound && String(buffer: missing.body).contains("No such analysis."))
            #expect(try await browser.post("/analyses/not-a-number/dismiss", ["csrf": csrf]).status == .notFound)
        }
        #expect(try await Self.auditMessages(fixture, kind: "analysis.retried").map { $0.hasPrefix("technician (panel) ") } == [true])
        #expect(try await Self.auditMessages(fixture, kind: "analysis.dismissed").map { $0.hasPrefix("technician (panel) ") } == [true])
    }

    @Test("a doctor sees the list without buttons and cannot retry or dismiss; without the CSRF token nobody can")
    func refused() async throws {
        let fixture = try await PanelFixture()
        let failed = try await fixture.addFailedAnalysis(seed: 31, reason: "cannot read the image: refused test")
        try await fixture.panel.makeApplication().test(.router) { client in
            var doctor = Browser(client)
            _ = try await doctor.logIn(.doctor)
            let list = String(buffer: try await doctor.get("/analyses/failed").body)
            let row = try #require(Self.row(failed.id, in: list))
            #expect(!row.contains("<form") && list.contains("Retry and dismiss are for the technician."))
            let csrf = try await doctor.csrfToken()
            for action in ["retry", "dismiss"] {
                let posted = try await doctor.post("/analyses/\(failed.id)/\(action)", ["csrf": csrf])
                #expect(posted.status == .forbidden && String(buffer: posted.body).contains("Only a technician can do this."))
            }

            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            for action in ["retry", "dismiss"] {
                #expect(try await technician.post("/analyses/\(failed.id)/\(action)", [:]).status == .forbidden)
                #expect(try await technician.post("/analyses/\(failed.id)/\(action)", ["csrf": "forged"]).status == .forbidden)
            }
        }
        #expect(try fixture.store.failedAnalyses().map(\.id) == [failed.id])
        #expect(try await Self.auditMessages(fixture, kind: "analysis.retried").isEmpty)
        #expect(try await Self.auditMessages(fixture, kind: "analysis.dismissed").isEmpty)
    }
}
