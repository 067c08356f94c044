import BrowserTesting
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import Testing

/// The same panel over a real socket on loopback (Hummingbird's `.live` testing).
@Suite("Panel over a live socket")
struct PanelLiveTests {
    @Test("login, pages, a verdict and logout over TCP")
    func liveSession() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.live) { client in
            var browser = Browser(client)
            #expect(try await browser.get("/healthz").status == .ok)
            #expect(try await browser.get("/studies").status == .seeOther)
            #expect(try await browser.logIn(.doctor).status == .seeOther)
            for path in ["/status", "/studies", "/studies/\(fixture.retakeUID)", "/register", "/device"] {
                #expect(try await browser.get(path).status == .ok, "\(path)")
            }
            let page = String(buffer: try await browser.get("/studies/\(fixture.normalUID)").body)
            let posted = try await browser.post("/studies/\(fixture.normalUID)/feedback", [
                "csrf": Browser.hiddenField("csrf", in: page)!, "verdict": "missed", "comment": "small nodule left apex",
            ])
            #expect(posted.status == .seeOther)
            #expect(try await browser.post("/logout", ["csrf": Browser.hiddenField("csrf", in: page)!]).status == .seeOther)
            #expect(try await browser.get("/status").status == .seeOther)
        }
        #expect(try fixture.store.feedback(studyInstanceUID: fixture.normalUID).map(\.verdict) == [.missed])
    }
}
