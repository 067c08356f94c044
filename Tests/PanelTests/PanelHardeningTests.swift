import BrowserTesting
import Appliance
import BrowserAccess
import FluoroboxTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import Panel
import StudyStore
import Synchronization
import Testing

/// What an attacker on the clinic LAN tries against the panel (issue 15, "Panel").
@Suite("Panel hardening")
struct PanelHardeningTests {
    // MARK: Login throttling

    @Test("wrong logins from one address make that address wait, doubling; others log in; a success resets")
    func throttleByAddress() {
        var throttle = LoginThrottle(freeAttempts: 5, maximumDelay: 8)
        let attacker = ClientAddress("192.0.2.10"), technician = ClientAddress("192.0.2.20")
        var now = Date(timeIntervalSince1970: 1_000_000)
        for _ in 0..<5 {
            #expect(throttle.admit(attacker, now: now) == .admitted)
            throttle.finish(attacker, succeeded: false, now: now)
        }
        // After 5 failures: 1 s, then 2, 4, 8, 8 (the cap).
        #expect(throttle.admit(attacker, now: now) == .refused(until: now.addingTimeInterval(1)))
        #expect(throttle.admit(technician, now: now) == .admitted)
        throttle.finish(technician, succeeded: true, now: now)
        var wait = 1.0
        for expected in [2.0, 4, 8, 8] {
            now = now.addingTimeInterval(wait)
            #expect(throttle.admit(attacker, now: now) == .admitted)
            // One attempt at a time once past the free ones.
            #expect(throttle.admit(attacker, now: now) != .admitted)
            throttle.finish(attacker, succeeded: false, now: now)
            #expect(throttle.admit(attacker, now: now.addingTimeInterval(expected - 0.1)) == .refused(until: now.addingTimeInterval(expected)))
            wait = expected
        }
        now = now.addingTimeInterval(wait)
        #expect(throttle.admit(attacker, now: now) == .admitted)
        throttle.finish(attacker, succeeded: true, now: now)
        #expect(throttle.failures(attacker) == 0)
        #expect(throttle.admit(attacker, now: now) == .admitted)
    }

    @Test("attempts being checked count: a burst from one address gets only the free attempts")
    func throttleCountsAttemptsInFlight() {
        var throttle = LoginThrottle(freeAttempts: 3, maximumDelay: 60)
        let address = ClientAddress("192.0.2.30"), now = Date()
        let admitted = (0..<50).filter { _ in throttle.admit(address, now: now) == .admitted }.count
        #expect(admitted == 3)
        // A scan over many addresses is bounded in memory.
        var small = LoginThrottle(freeAttempts: 3, maximumDelay: 60, maximumAddresses: 100)
        for index in 0..<1000 {
            let client = ClientAddress("10.0.\(index / 256).\(index % 256)")
            _ = small.admit(client, now: now)
            small.finish(client, succeeded: false, now: now)
        }
        #expect(small.count <= 100)
    }

    @Test("IPv6 clients count per /64; IPv4 on a dual-stack socket as IPv4")
    func clientAddresses() throws {
        let one = ClientAddress(peer: try SocketAddress(ipAddress: "2001:db8:1:2::10", port: 1))
        let two = ClientAddress(peer: try SocketAddress(ipAddress: "2001:db8:1:2:aaaa::99", port: 2))
        #expect(one == two && one.description == "2001:db8:1:2::/64")
        #expect(ClientAddress(peer: try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 3)).description == "192.0.2.7")
        #expect(ClientAddress(peer: try SocketAddress(ipAddress: "192.0.2.7", port: 3)).description == "192.0.2.7")
        #expect(ClientAddress(peer: nil) == .unknown)
    }

    /// Fails before: five wrong passwords (three in the fixture) locked the technician role for
    /// everybody on the LAN.
    @Test("over TCP: an address that guessed wrong waits (429, Retry-After), another address logs in at once")
    func wrongLoginsDoNotLockTheRole() async throws {
        // The throttle's time stands still until the test moves it: on a loaded machine the
        // fourth request once came after the wait was over (CI, 2026-12-07).
        let clock = SettableClock()
        let fixture = try await PanelFixture(clock: clock)
        try await fixture.panel.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            let attacker = RawHTTPClient(port: port, source: "127.0.0.2"), technician = RawHTTPClient(port: port, source: "127.0.0.3")
            for index in 1...3 {
                let answer = try await attacker.logIn(role: "technician", password: "guess-\(index)")
                #expect(answer.status == 401, "guess \(index): \(answer.status)")
            }
            let waiting = try await attacker.logIn(role: "technician", password: PanelFixture.technicianPassword)
            #expect(waiting.status == 429)
            let retryAfter = try #require(Int(waiting.headers["retry-after"] ?? ""))
            #expect((1...3).contains(retryAfter))
            #expect(waiting.headers["set-cookie"]?.hasPrefix("fluorobox_session=") != true)
            // The technician at another tablet is not locked out by it.
            let login = try await technician.logIn(role: "technician", password: PanelFixture.technicianPassword)
            #expect(login.status == 303, "the technician got \(login.status)")
            #expect(login.headers["set-cookie"]?.hasPrefix("fluorobox_session=") == true || login.headers["location"] == "/status")
            // After the wait, the right password from the first address works and resets it.
            clock.advance(seconds: Double(retryAfter) + 0.1)
            #expect(try await attacker.logIn(role: "technician", password: PanelFixture.technicianPassword).status == 303)
            #expect(try await attacker.logIn(role: "doctor", password: "wrong").status == 401)
        }
    }

    @Test("the password checker runs at most its limit at once, turns the rest away, and leaves the cooperative pool free")
    func passwordCheckerIsBounded() async throws {
        // Each check blocks its thread until the test opens the gate (or 60 s pass), so what runs
        // meanwhile is decided by where the checks run, not by how fast PBKDF2 is on this machine.
        let gate = DispatchSemaphore(value: 0)
        let timedOut = Mutex(0)
        let checker = PasswordChecker(concurrentChecks: 2, waitingChecks: 1) { password, _ in
            if password != "c", gate.wait(timeout: .now() + 60) == .timedOut { timedOut.withLock { $0 += 1 } }
            return password == "c"
        }
        let finished = Flag()
        let checks = Task {
            async let first = checker.matches("a", hash: nil)
            async let second = checker.matches("b", hash: nil)
            let results = await [first, second]
            await finished.set()
            return results
        }
        while await checker.runningChecks < 2 { try await Task.sleep(for: .milliseconds(10)) }
        // One may wait; the next is turned away at once.
        let waiting = Task { await checker.matches("c", hash: nil) }
        while await checker.waitingCount < 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await checker.matches("d", hash: nil) == nil)
        // The cooperative pool runs other work while both checks block (it has as many threads
        // as cores: were the checks on it, this hop would wait for the gate's 60 s timeout).
        await Task.detached { await Task.yield() }.value
        #expect(await finished.isSet == false, "the pool's work waited for the password checks")
        gate.signal()
        gate.signal()
        #expect(await checks.value == [false, false])
        #expect(await waiting.value == true)
        #expect(await checker.runningChecks == 0)
        #expect(timedOut.withLock { $0 } == 0, "a check waited out the gate: the pool could not run the test")
    }

    actor Flag {
        private(set) var isSet = false
        func set() { isSet = true }
    }

    /// Fails before: every login's PBKDF2 ran on the cooperative pool, unbounded, and none was
    /// ever turned away.
    @Test("over TCP: a flood of wrong logins from many addresses is answered 503 beyond the checker's limit")
    func loginFloodIsBounded() async throws {
        var settings = PanelFixture.defaultSettings
        settings.concurrentPasswordChecks = 2
        settings.waitingPasswordChecks = 4
        let fixture = try await PanelFixture(settings: settings)
        try await fixture.panel.makeApplication().test(.live) { client in
            let port = try #require(client.port)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        try await RawHTTPClient(port: port, source: "127.0.1.\(index + 1)").logIn(role: "technician", password: "flood-\(index)").status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let answers = Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count)
            #expect(answers[503, default: 0] > 0, "no login was turned away: \(answers)")
            #expect(answers.keys.allSatisfy { [401, 503].contains($0) }, "\(answers)")
            // Latency is measured by tools/bench/panel-login-flood in a process of its own: here
            // other suites share the test process's cooperative pool.
            #expect(try await RawHTTPClient(port: port, source: "127.0.2.1").request("GET", "/healthz").status == 200)
        }
    }

    // MARK: Redirects and logout

    /// Fails before: a tab or CR/LF after the first slash passed (browsers drop them and read
    /// `//host`), and refused targets went to /status rather than /.
    @Test("the next redirect after login stays on this origin; anything else goes to /")
    func nextRedirect() async throws {
        let fixture = try await PanelFixture()
        let refused = [
            "//evil.example/", "/\\evil.example", "/\t/evil.example", "/\r\n/evil.example", "/\n/evil.example",
            "https://evil.example/", "javascript:alert(1)", "evil.example", "\\\\evil.example", " /status",
            "/sta\u{7F}tus", "/sta\u{1}tus", "/%0A", "/st\u{E9}tus", "",
        ]
        try await fixture.panel.makeApplication().test(.router) { client in
            for next in refused {
                var browser = Browser(client)
                let page = try await browser.get("/login")
                let token = try #require(Browser.hiddenField("csrf", in: String(buffer: page.body)))
                let login = try await browser.post("/login", ["csrf": token, "role": "doctor", "password": PanelFixture.doctorPassword, "next": next])
                #expect(login.status == .seeOther)
                if next != "/%0A" {
                    #expect(login.headers[.location] == "/", "next \(next.debugDescription) went to \(login.headers[.location] ?? "nowhere")")
                }
                let language = try await browser.get("/lang/ru?back=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                #expect(language.headers[.location] == "/" || next == "/%0A", "back \(next.debugDescription) went to \(language.headers[.location] ?? "nowhere")")
            }
            var browser = Browser(client)
            let page = try await browser.get("/login?next=%2Fstudies%3Fsort%3Dflagged")
            let token = try #require(Browser.hiddenField("csrf", in: String(buffer: page.body)))
            #expect(Browser.hiddenField("next", in: String(buffer: page.body)) == "/studies?sort=flagged")
            let login = try await browser.post("/login", ["csrf": token, "role": "doctor", "password": PanelFixture.doctorPassword, "next": "/studies?sort=flagged"])
            #expect(login.headers[.location] == "/studies?sort=flagged")
        }
        #expect(HTMLText.safeLocalPath("/%0A") == "/%0A", "a percent-encoded byte is a path, not a line break")
    }

    @Test("logout needs a POST with the session's CSRF token; a GET or a wrong token leaves the session")
    func logoutNeedsToken() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let session = try #require(browser.cookies["fluorobox_session"])
            _ = try await browser.get("/logout")
            #expect(browser.cookies["fluorobox_session"] == session)
            #expect(try await browser.get("/status").status == .ok)
            #expect(try await browser.post("/logout", [:]).status == .forbidden)
            #expect(try await browser.post("/logout", ["csrf": "not-the-token"]).status == .forbidden)
            #expect(browser.cookies["fluorobox_session"] == session)
            #expect(try await browser.get("/status").status == .ok)
            let csrf = try await browser.csrfToken()
            let logout = try await browser.post("/logout", ["csrf": csrf])
            #expect(logout.status == .seeOther && logout.headers[.location] == "/login")
            browser.cookies["fluorobox_session"] = session
            #expect(try await browser.get("/status").status == .seeOther)
        }
    }

    // MARK: HTTPS

    /// A self-signed certificate for 127.0.0.1, as the image makes one at first boot.
    static func makeCertificate(in folder: TemporaryDirectory) async throws -> (certificate: String, key: String, fingerprint: String) {
        let certificate = folder.file("cert.pem"), key = folder.file("key.pem")
        let made = try await ProcessRunner.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
            "-subj", "/CN=fluorobox-test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", key, "-out", certificate,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let printed = try await ProcessRunner.run("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        let fingerprint = try #require(printed.stdout.split(separator: "=", maxSplits: 1).last).trimmingCharacters(in: .whitespacesAndNewlines)
        return (certificate, key, fingerprint)
    }

    @Test("with a certificate and key the panel serves HTTPS only, shows the fingerprint and keeps Secure cookies")
    func servesHTTPS() async throws {
        let folder = TemporaryDirectory("panel-tls")
        let (certificate, key, fingerprint) = try await Self.makeCertificate(in: folder)
        #expect(PanelTLS.certificateFingerprint(path: certificate) == fingerprint)
        var settings = PanelFixture.defaultSettings
        settings.tlsCertificatePath = certificate
        settings.tlsKeyPath = key
        let fixture = try await PanelFixture(settings: settings)
        let app = try fixture.panel.makeApplication()
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let secure = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--cacert", certificate, "https://127.0.0.1:\(port)/healthz"])
            #expect(secure.status == 0 && secure.stdout == "ok\n", "\(secure.stderr)")
            let plain = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
            #expect(plain.stdout != "ok\n", "plain HTTP answered on the HTTPS port")
        }
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let login = try await browser.logIn(.doctor)
            #expect(login.headers[values: .setCookie].first { $0.hasPrefix("fluorobox_session=") }?.contains("Secure") == true)
            let device = String(buffer: try await browser.get("/device").body)
            #expect(device.contains(fingerprint), "the device page lacks the certificate fingerprint")
        }
        // Half a TLS configuration is an error, not a silent plain-HTTP panel.
        var half = PanelFixture.defaultSettings
        half.tlsCertificatePath = certificate
        #expect(throws: PanelError.self) { _ = try PanelApplication(store: fixture.store, settings: half, credentials: fixture.panel.credentials, hooks: fixture.panel.hooks, logger: quietLogger).makeApplication() }
    }

    @Test("without TLS the panel listens on 127.0.0.1 unless plain HTTP on the LAN is configured")
    func plainHTTPStaysLocal() throws {
        var settings = PanelSettings()
        #expect(settings.bindAddress == "0.0.0.0" && settings.listenAddress == "127.0.0.1")
        settings.plainHTTPOnLAN = true
        #expect(settings.listenAddress == "0.0.0.0")
        settings.plainHTTPOnLAN = false
        settings.tlsCertificatePath = "/data/panel-tls/cert.pem"
        settings.tlsKeyPath = "/data/panel-tls/key.pem"
        #expect(settings.listenAddress == "0.0.0.0")
        settings = PanelSettings()
        settings.bindAddress = "127.0.0.1"
        #expect(settings.listenAddress == "127.0.0.1")

        let (configuration, warnings) = try ApplianceConfiguration.load(file: nil, environment: [
            "FLUOROBOX_PANEL_TLS_CERTIFICATE": "/data/panel-tls/cert.pem", "FLUOROBOX_PANEL_TLS_KEY": "/data/panel-tls/key.pem",
            "FLUOROBOX_PANEL_PLAIN_HTTP_ON_LAN": "true",
        ])
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(configuration.panel.tlsCertificatePath == "/data/panel-tls/cert.pem" && configuration.panel.tlsKeyPath == "/data/panel-tls/key.pem")
        #expect(configuration.panel.plainHTTPOnLAN && configuration.panel.servesTLS)
    }

    @Test("fluorobox status prints the panel certificate's fingerprint")
    func statusShowsFingerprint() async throws {
        let fixture = try await PanelFixture()
        let (certificate, key, fingerprint) = try await Self.makeCertificate(in: fixture.folder)
        let tls = ["FLUOROBOX_PANEL_TLS_CERTIFICATE": certificate, "FLUOROBOX_PANEL_TLS_KEY": key]
        let status = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--data-dir", fixture.folder.path], environment: tls)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("Panel:      HTTPS, certificate SHA-256 \(fingerprint)"), "\(status.stdout)")
        let json = try await ProcessRunner.run(ProcessRunner.fluorobox, ["status", "--json", "--data-dir", fixture.folder.path], environment: tls)
        #expect(json.stdout.contains(fingerprint))
    }

    // MARK: First-start passwords and the diagnostics bundle

    /// Fails before: the first-start line with the password was logged too, so it landed in
    /// run/agent.log and from there in the diagnostics bundle.
    @Test("first-start passwords go to the console only, never to the log file")
    func firstStartPasswordsStayOffTheLog() throws {
        let folder = TemporaryDirectory("panel-first-log")
        let directory = DataDirectory(path: folder.path)
        try FileManager.default.createDirectory(atPath: directory.runPath, withIntermediateDirectories: true)
        let file = AgentLogFile(directory: directory)
        let logger = Logger(label: "panel") { label in file.handler(label: label, level: .trace) }
        _ = try PanelService.prepareCredentials(dataDirectory: folder.path, settings: PanelSettings(), logger: logger)
        let log = (try? String(contentsOfFile: file.path, encoding: .utf8)) ?? ""
        #expect(!log.contains("password is"), "agent.log: \(log)")
        #expect(log.contains("new passwords were printed on the console"))
    }

    /// Fails before: birth dates, import and watch-folder paths and an old first-start line
    /// went into the bundle as they were.
    @Test("the diagnostics bundle drops birth dates, paths of files the box did not name, and printed passwords")
    func bundleRedaction() async throws {
        let base = try await PanelFixture()
        let log = base.folder.file("extra.log")
        let lines = [
            "2026-12-06T08:00:00.000Z info import: stored /media/usb/Petrov_I_1980/IM0001.dcm",
            "2026-12-06T08:00:01.000Z info folder-watch: picked up /srv/incoming/SIDOROVA_ANNA/scan.dcm",
            "2026-12-06T08:00:02.000Z notice dicom: received patientBirthDate=19800101 dob: 1980-01-01 (0010,0030) 01.01.1980",
            "2026-12-06T08:00:03.000Z notice panel first start: the doctor password is abcd-efgh-jkmn-pqrs (shown once)",
            "2026-12-06T08:00:04.000Z info maintenance: checkpoint \(base.folder.path)/store.sqlite; GET /status 200; study 1.2.826.0.1.19800101.7",
        ]
        try lines.joined(separator: "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let store = base.store
        let hooks = PanelHooks(
            system: { SystemSummary(version: "test", startedAt: Date(), captureSources: []) },
            selfTestChecks: { [] },
            configuration: { ["watch.folder": "/srv/incoming", "dataDirectory": store.directory.path] },
            logFiles: [log]
        )
        let bundle = try await DiagnosticsBundle.gather(store: store, hooks: hooks)
        let text = String(decoding: try bundle.json(), as: UTF8.self)
        for leaked in ["Petrov_I", "/media/usb", "SIDOROVA", "19800101\"", "=19800101", "1980-01-01", "01.01.1980", "abcd-efgh-jkmn-pqrs", "19800101 "] {
            #expect(!text.contains(leaked), "the bundle leaks \(leaked)")
        }
        let exported = bundle.logs.first { $0.path == log }?.lines ?? []
        #expect(exported.contains { $0.contains("/srv/incoming/[path]") }, "\(exported)")
        #expect(exported.contains { $0.contains("\(base.folder.path)/store.sqlite") && $0.contains("GET /status 200") && $0.contains("1.2.826.0.1.19800101.7") }, "\(exported)")
        #expect(bundle.configuration["watch.folder"] == "/srv/incoming")
    }
}
