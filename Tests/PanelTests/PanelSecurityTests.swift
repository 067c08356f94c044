import BrowserTesting
import BrowserAccess
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

@Suite("Panel security")
struct PanelSecurityTests {
    static let protectedPages = ["/", "/status", "/studies", "/register", "/device", "/events", "/device/diagnostics", "/instances/1/image"]
    static let posts = ["/logout", "/register", "/register/cancel", "/device/selftest", "/device/restart"]

    @Test("every page but health, metrics and login needs a session")
    func loginRequired() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            for path in Self.protectedPages + ["/studies/\(fixture.flaggedUID)"] where path != "/" {
                let response = try await browser.get(path)
                #expect(response.status == .seeOther, "\(path) answered \(response.status)")
                #expect(response.headers[.location]?.hasPrefix("/login?next=") == true)
                #expect(!String(buffer: response.body).contains("DEMO"))
            }
            for path in Self.posts.filter({ $0 != "/logout" }) + ["/studies/\(fixture.flaggedUID)/feedback"] {
                #expect(try await browser.post(path, ["verdict": "agree"]).status == .unauthorized, "\(path)")
            }
            // A forged session cookie is no session.
            browser.cookies["fluorobox_session"] = "forged"
            #expect(try await browser.get("/status").status == .seeOther)
        }
    }

    @Test("cookies are HttpOnly, SameSite=Strict and Secure")
    func cookieAttributes() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let login = try await browser.logIn(.technician)
            let cookie = login.headers[values: .setCookie].first { $0.hasPrefix("fluorobox_session=") }
            #expect(cookie != nil)
            for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
                #expect(cookie?.contains(attribute) == true, "session cookie lacks \(attribute)")
            }
        }
    }

    @Test("every state change needs the session's CSRF token")
    func csrfRequired() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let feedback = "/studies/\(fixture.flaggedUID)/feedback"
            for path in Self.posts + [feedback] {
                let missing = try await browser.post(path, ["verdict": "agree", "patientID": "X"])
                #expect(missing.status == .forbidden, "\(path) without a token answered \(missing.status)")
                let wrong = try await browser.post(path, ["csrf": "guess", "verdict": "agree", "patientID": "X"])
                #expect(wrong.status == .forbidden, "\(path) with a wrong token answered \(wrong.status)")
            }
            // Still logged in: logout without a token did nothing.
            #expect(try await browser.get("/status").status == .ok)
            // A JSON or multipart body is refused outright.
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cookie] = browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            #expect(try await client.execute(uri: feedback, method: .post, headers: headers, body: ByteBuffer(string: "{}")).status == .unsupportedMediaType)
            // Login needs its own token too.
            #expect(try await browser.post("/login", ["role": "doctor", "password": PanelFixture.doctorPassword]).status == .forbidden)
        }
        #expect(try fixture.store.feedback(studyInstanceUID: fixture.flaggedUID).isEmpty)
        #expect(try fixture.store.pendingRegistration()?.patientID == "P-778")
    }

    @Test("a second login page (another tab, the favicon) keeps the token of the form already shown")
    func loginTokenSurvivesReload() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let token = Browser.hiddenField("csrf", in: String(buffer: try await browser.get("/login").body))
            #expect(try await browser.get("/favicon.ico").status == .noContent)
            let again = Browser.hiddenField("csrf", in: String(buffer: try await browser.get("/login").body))
            #expect(token != nil && token == again)
            // A made-up cookie value is not adopted as a token.
            browser.cookies["fluorobox_login_csrf"] = "short"
            #expect(Browser.hiddenField("csrf", in: String(buffer: try await browser.get("/login").body)) != "short")
        }
    }

    @Test("repeated failures make that address wait, even for the right password")
    func lockout() async throws {
        // The throttle's own clock, moved by hand: the waits are checked by their rule, whatever
        // the PBKDF2 checks cost on a loaded machine.
        var settings = PanelFixture.defaultSettings
        settings.loginFirstDelaySeconds = 4
        let clock = SettableClock()
        let fixture = try await PanelFixture(settings: settings, clock: clock)
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let first = try await browser.logIn(.technician, password: "wrong-1")
            #expect(first.status == .unauthorized)
            #expect(String(buffer: first.body).contains("Attempts left before a wait: 2"))
            #expect(try await browser.logIn(.technician, password: "wrong-2").status == .unauthorized)
            #expect(try await browser.logIn(.doctor, password: "wrong-3").status == .unauthorized)
            let right = try await browser.logIn(.technician)
            #expect(right.status == .tooManyRequests)
            let retryAfter = try #require(Int(right.headers[.retryAfter] ?? ""))
            #expect(retryAfter == 4)
            #expect(String(buffer: right.body).contains("try again in seconds: \(retryAfter)"))
            #expect(browser.cookies["fluorobox_session"] == nil)
            // The wait is per address, whatever the role.
            #expect(try await browser.logIn(.doctor).status == .tooManyRequests)
            clock.advance(seconds: 3.5)
            #expect(try await browser.logIn(.doctor).status == .tooManyRequests)
            clock.advance(seconds: 0.6)
            #expect(try await browser.logIn(.doctor).status == .seeOther)
            let metrics = String(buffer: try await browser.get("/metrics").body)
            #expect(metrics.contains("fluorobox_panel_failed_logins_total 3"))
            #expect(metrics.contains("fluorobox_panel_throttled_logins_total 3"))
        }
    }

    @Test("logout ends the session")
    func logout() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let token = browser.cookies["fluorobox_session"]!
            let csrf = try await browser.csrfToken()
            #expect(try await browser.post("/logout", ["csrf": csrf]).status == .seeOther)
            browser.cookies["fluorobox_session"] = token
            #expect(try await browser.get("/status").status == .seeOther)
        }
    }

    @Test("no patient name in /metrics")
    func metricsWithoutPatientData() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            _ = try await browser.get("/studies/\(fixture.flaggedUID)")
            let metrics = String(buffer: try await browser.get("/metrics").body)
            for name in PanelFixture.patientNames + ["DEMO", "PETROV", "IVANOVA", "P-778", fixture.flaggedUID] {
                #expect(!metrics.localizedCaseInsensitiveContains(name), "/metrics leaks \(name)")
            }
        }
    }

    @Test("passwords are stored only as PBKDF2 hashes")
    func passwordStorage() async throws {
        let fixture = try await PanelFixture()
        let text = try String(contentsOfFile: PanelCredentials.path(dataDirectory: fixture.folder.path), encoding: .utf8)
        #expect(!text.contains(PanelFixture.technicianPassword) && !text.contains(PanelFixture.doctorPassword))
        #expect(text.contains("pbkdf2-sha256") && text.contains("210000"))
        let attributes = try FileManager.default.attributesOfItem(atPath: PanelCredentials.path(dataDirectory: fixture.folder.path))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let hash = try PasswordHash.make(password: "correct horse")
        #expect(hash.matches("correct horse") && !hash.matches("correct horsE"))
    }

    @Test("first start makes random passwords, and only once")
    func firstStart() async throws {
        let folder = TemporaryDirectory("panel-first")
        let first = try PanelCredentials.loadOrCreate(dataDirectory: folder.path)
        #expect(Set(first.newPasswords.keys) == Set(PanelRole.allCases))
        let password = first.newPasswords[.doctor]!
        #expect(password.count == 19)
        #expect(first.credentials.hash(for: .doctor)?.matches(password) == true)
        let second = try PanelCredentials.loadOrCreate(dataDirectory: folder.path)
        #expect(second.newPasswords.isEmpty)
        #expect(second.credentials.hash(for: .doctor)?.matches(password) == true)
    }
}
