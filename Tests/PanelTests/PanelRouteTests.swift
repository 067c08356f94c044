import BrowserTesting
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Synchronization
import Testing

/// The panel's pages in process (Hummingbird's `.router` testing).
@Suite("Panel routes")
struct PanelRouteTests {
    @Test("health, readiness and metrics are open; metrics carry counts")
    func openEndpoints() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            #expect(try await browser.get("/healthz").status == .ok)
            #expect(try await browser.get("/readyz").status == .ok)
            let metrics = try await browser.get("/metrics")
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("fluorobox_studies 3"))
            #expect(text.contains("fluorobox_studies_flagged 1"))
            #expect(text.contains("fluorobox_outbox_unsent_items{destination=\"platform\"} 3"))
        }
    }

    /// Before, a label that left the store's figures kept its last value in /metrics for good.
    @Test("a labelled store figure that is gone reads 0 in /metrics, not its last value")
    func goneFiguresReadZero() async throws {
        let fixture = try await PanelFixture()
        let failed = try await fixture.addFailedAnalysis(seed: 77, reason: "made-up failure")
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let before = String(buffer: try await browser.get("/metrics").body)
            #expect(before.contains("fluorobox_analyses{status=\"failed\"} 1"), "\(before)")
            try fixture.store.retryAnalysis(id: failed.id, by: "test")
            let after = String(buffer: try await browser.get("/metrics").body)
            #expect(after.contains("fluorobox_analyses{status=\"failed\"} 0"), "\(after)")
        }
    }

    @Test("status page shows capture, intake, disk, the failing destination")
    func statusPage() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let login = try await browser.logIn(.technician)
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == "/status")
            let page = try await browser.get("/status")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            for text in ["dicom-scp", "listening", "Intake", "Days of capacity left", PanelFixture.failingError, "platform", "CPU load"] {
                #expect(html.contains(text), "status page lacks \(text)")
            }
            #expect(html.contains("data-live=\"backlog-platform\">3<"))
        }
    }

    @Test("status page joins the sync worker's state with the outbox: phase, failures, backlog and bytes, oldest age, error, clock warning; EN and RU")
    func syncStateAndClock() async throws {
        let workerError = "platform: connect ECONNREFUSED 127.0.0.1:9 (seeded)"
        let clock = "the clock says 1970-01-01T00:00:05Z, before this software was written"
        let success = Date(timeIntervalSince1970: 1_795_000_000)
        let fixture = try await PanelFixture(hooks: PanelHooks(system: {
            SystemSummary(
                version: "test", startedAt: Date().addingTimeInterval(-90_000),
                sync: [
                    .init(destination: "platform", phase: .backoff, lastSuccessAt: success, lastError: workerError, lastErrorAt: Date(), consecutiveFailures: 7),
                    .init(destination: "dicomweb", phase: .idle),
                ],
                clockProblem: clock
            )
        }))
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let html = String(buffer: try await browser.get("/status").body)
            #expect(html.contains("id=\"clock-warning\"") && html.contains(clock))
            // The worker's error is the current one, not the outbox row's older text.
            #expect(html.contains(workerError) && !html.contains(PanelFixture.failingError))
            #expect(html.contains("data-live=\"phase-platform\">backoff<"))
            #expect(html.contains("(failures in a row: 7)"))
            #expect(html.contains("data-live=\"backlog-platform\">3<"))
            #expect(html.contains("data-destination=\"dicomweb\"") && html.contains("data-live=\"phase-dicomweb\">idle<"))
            // Backlog bytes, oldest unsent as an age, last success from the worker.
            let row = html.components(separatedBy: "data-destination=\"platform\"")[1].components(separatedBy: "</tr>")[0]
            #expect(row.range(of: #"\(\d+(\.\d)? (B|KB|MB)\)"#, options: .regularExpression) != nil, "no backlog bytes in \(row)")
            #expect(row.range(of: #">\d+ (s|min) <small>"#, options: .regularExpression) != nil, "no oldest-unsent age in \(row)")
            #expect(row.contains(HTML_dateTime(success)))
            #expect(html.contains("Used") && html.contains("1 d 1 h"))

            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await browser.get("/status").body)
            for text in ["Часы устройства неверны:", "пауза после сбоя", "сбоев подряд", "Занято", "Синхронизация", "1 дн 1 ч"] {
                #expect(russian.contains(text), "Russian status page lacks \(text)")
            }
            let events = String(buffer: try await browser.get("/events").body)
            #expect(events.contains("\"phase-platform\":\"пауза после сбоя\""), "\(events)")
        }
    }

    @Test("worklist puts flagged and retake studies first; study view has image, legend, report, verdict and advice")
    func studies() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let html = String(buffer: try await browser.get("/studies").body)
            let order = [fixture.flaggedUID, fixture.retakeUID, fixture.normalUID].map { html.range(of: "data-uid=\"\($0)\"")!.lowerBound }
            #expect(order[0] < order[2] && order[1] < order[2])
            #expect(html.contains("flagged for review") && html.contains("retake advised") && html.contains("no findings flagged"))

            let flagged = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            #expect(flagged.contains("/instances/\(fixture.flaggedInstanceID)/image"))
            #expect(flagged.contains("Nodule 91%") && flagged.contains("swatch"))
            #expect(flagged.contains("Flagged for review: Nodule (91%)."))
            #expect(flagged.contains("No overlay for this image yet."))

            let retake = String(buffer: try await browser.get("/studies/\(fixture.retakeUID)").body)
            #expect(retake.contains("retake advised"))
            #expect(retake.contains("Lower the exposure (mAs/kV) and retake."))

            let image = try await browser.get("/instances/\(fixture.flaggedInstanceID)/image")
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/jpeg")
            #expect(Array(image.body.readableBytesView.prefix(2)) == [0xFF, 0xD8])
            #expect(try await browser.get("/studies/1.2.3.4.no-such").status == .notFound)
        }
    }

    @Test("a doctor's verdict is stored and queued for the platform")
    func feedback() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let page = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            let csrf = Browser.hiddenField("csrf", in: page)!
            let result = Browser.hiddenField("result", in: page)!
            let posted = try await browser.post("/studies/\(fixture.flaggedUID)/feedback", ["csrf": csrf, "result": result, "verdict": "disagree", "comment": "rib crossing"])
            #expect(posted.status == .seeOther)
            let after = String(buffer: try await browser.get(posted.headers[.location]!).body)
            #expect(after.contains("Verdict recorded") && after.contains("rib crossing"))
        }
        let stored = try fixture.store.feedback(studyInstanceUID: fixture.flaggedUID)
        #expect(stored.count == 1)
        #expect(stored.first?.verdict == .disagree && stored.first?.comment == "rib crossing" && stored.first?.role == "doctor")
        let database = try DatabaseQueue(path: fixture.folder.path + "/store.sqlite")
        let queued = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT destination, state, feedbackID FROM outboxItem WHERE kind = 'feedback'")
        }
        #expect(queued.count == 1)
        #expect(queued.first?["destination"] == "platform" && queued.first?["state"] == "queued")
        #expect(queued.first?["feedbackID"] == stored.first?.id)
        let feedbackID = try #require(stored.first?.id)
        let document = try #require(try fixture.store.feedbackDocument(feedbackID: feedbackID))
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: String])
        #expect(fields["verdict"] == "disagree" && fields["comment"] == "rib crossing" && fields["studyInstanceUID"] == fixture.flaggedUID)
        #expect(fields["resultKey"]?.hasPrefix("result:\(fixture.flaggedUID):1.0.0:") == true)
    }

    @Test("a technician cannot record a verdict")
    func technicianCannotRecordVerdict() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let csrf = try await browser.csrfToken()
            let posted = try await browser.post("/studies/\(fixture.flaggedUID)/feedback", ["csrf": csrf, "verdict": "agree"])
            #expect(posted.status == .forbidden)
        }
        #expect(try fixture.store.feedback(studyInstanceUID: fixture.flaggedUID).isEmpty)
    }

    @Test("registration form registers the next patient; bad input is refused with a message")
    func registration() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let csrf = try await browser.csrfToken()
            let empty = try await browser.post("/register", ["csrf": csrf, "patientID": " "])
            #expect(empty.status == .badRequest)
            #expect(String(buffer: empty.body).contains("Enter a patient ID or a name."))
            let badDate = try await browser.post("/register", ["csrf": csrf, "patientID": "X1", "birthDate": "yesterday"])
            #expect(badDate.status == .badRequest)
            let done = try await browser.post("/register", [
                "csrf": csrf, "patientID": "A-100", "family": "Sidorov", "given": "Petr", "birthDate": "1975-04-30", "sex": "M", "note": "room 2",
            ])
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("Sidorov Petr (A-100)"))
            // The earlier registration stays on the worklist beside the new one, each with its accession.
            let page = String(buffer: done.body)
            let worklist = try #require(page.components(separatedBy: "<section id=\"worklist\">").last)
            let pending = try #require(try fixture.store.pendingRegistration())
            #expect(worklist.contains(pending.accessionNumber ?? "?") && worklist.contains("Sidorov Petr (A-100)"))
            #expect(worklist.components(separatedBy: "<td class=\"worklist-state\">scheduled</td>").count - 1 == 2)
        }
        let pending = try fixture.store.pendingRegistration()
        #expect(pending?.patientID == "A-100" && pending?.patientName == "Sidorov^Petr" && pending?.patientBirthDate == "19750430" && pending?.patientSex == "M")
    }

    @Test("Russian from Accept-Language, English by the switch")
    func languages() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9,en;q=0.5")
            let login = String(buffer: try await browser.get("/login").body)
            #expect(login.contains("<html lang=\"ru\">") && login.contains("Пароль"))
            _ = try await browser.logIn(.technician)
            let status = String(buffer: try await browser.get("/status").body)
            #expect(status.contains("Источники снимков") && status.contains("Синхронизация"))
            let switched = try await browser.get("/lang/en?back=%2Fstudies")
            #expect(switched.status == .seeOther && switched.headers[.location] == "/studies")
            let english = String(buffer: try await browser.get("/studies").body)
            #expect(english.contains("<html lang=\"en\">") && english.contains("flagged for review"))
            // The switch never sends anyone to another host.
            #expect(try await browser.get("/lang/ru?back=%2F%2Fevil.example").headers[.location] == "/")
        }
    }

    /// A browser that states no language the panel has gets the box's `language`, not English.
    @Test("the box's language for a browser without a preference; the browser's choice otherwise")
    func boxLanguageByDefault() async throws {
        var settings = PanelFixture.defaultSettings
        settings.language = .ru
        let fixture = try await PanelFixture(settings: settings)
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            browser.acceptLanguage = nil
            #expect(String(buffer: try await browser.get("/login").body).contains("<html lang=\"ru\">"))
            browser.acceptLanguage = "de-DE,de;q=0.9"
            #expect(String(buffer: try await browser.get("/login").body).contains("<html lang=\"ru\">"))
            browser.acceptLanguage = "en-GB,en;q=0.9"
            #expect(String(buffer: try await browser.get("/login").body).contains("<html lang=\"en\">"))
            browser.acceptLanguage = nil
            _ = try await browser.get("/lang/en?back=%2Flogin")
            #expect(String(buffer: try await browser.get("/login").body).contains("<html lang=\"en\">"))
        }
    }

    @Test("device page: self-test and a diagnostics bundle without patient names or secrets")
    func device() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let csrf = try await browser.csrfToken()
            let selfTest = String(buffer: try await browser.post("/device/selftest", ["csrf": csrf]).body)
            #expect(selfTest.contains("store integrity") && selfTest.contains("Self-test passed"))
            let bundle = try await browser.get("/device/diagnostics")
            #expect(bundle.status == .ok)
            #expect(bundle.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            let text = String(buffer: bundle.body)
            #expect(text.contains("store integrity") && text.contains("\"studies\" : 3"))
            #expect(text.contains("[secret]") && !text.contains("must-not-leak"))
            for name in PanelFixture.patientNames + ["DEMO^PHANTOM", "PETROV", "IVANOVA", "P-778"] {
                #expect(!text.localizedCaseInsensitiveContains(name), "diagnostics bundle leaks \(name)")
            }
            // Restart is offered only where an agent can do it.
            let restart = String(buffer: try await browser.post("/device/restart", ["csrf": csrf]).body)
            #expect(restart.contains("Restart is not available here."))
        }
    }

    @Test("server-sent events carry the live figures")
    func events() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let events = try await browser.get("/events")
            #expect(events.headers[.contentType] == "text/event-stream")
            let text = String(buffer: events.body)
            #expect(text.hasPrefix("event: status\ndata: {"))
            #expect(text.contains("\"backlog-platform\":\"3\"") && text.contains("\"flagged\":\"1\""))
        }
    }
}

/// Counts restarts asked for by the device page.
final class RestartCounter: Sendable {
    let count = Mutex(0)
}


@Suite("Panel restart")
struct PanelRestartTests {
    @Test("the technician's restart reaches the agent's hook; a doctor's does not")
    func restart() async throws {
        let counter = RestartCounter()
        let fixture = try await PanelFixture(hooks: PanelHooks(
            system: { SystemSummary(version: "test") },
            restartServices: { counter.count.withLock { $0 += 1 } }
        ))
        try await fixture.panel.makeApplication().test(.router) { client in
            var doctor = Browser(client)
            _ = try await doctor.logIn(.doctor)
            #expect(try await doctor.post("/device/restart", ["csrf": try await doctor.csrfToken()]).status == .forbidden)
            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            let page = try await technician.post("/device/restart", ["csrf": try await technician.csrfToken()])
            #expect(String(buffer: page.body).contains("Restarting the agent"))
        }
        for _ in 0..<50 where counter.count.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(counter.count.withLock { $0 } == 1)
    }
}

/// The panel's date format (yyyy-MM-dd HH:mm, the box's time zone).
func HTML_dateTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date)
}
