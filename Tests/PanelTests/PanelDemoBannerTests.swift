import BrowserTesting
import Appliance
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import Testing

/// A box that trusts the demo model key says so on every page.
@Suite("Panel demonstration build banner")
struct PanelDemoBannerTests {
    static let banner = "Demonstration build: the demo model key is trusted; not for clinical use"

    @Test("with the demo key trusted every page, the login page too, shows the banner; EN and RU")
    func shown() async throws {
        var settings = PanelFixture.defaultSettings
        settings.trustsDemoModelKey = true
        let fixture = try await PanelFixture(settings: settings)
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            #expect(String(buffer: try await browser.get("/login").body).contains(Self.banner))
            _ = try await browser.logIn(.technician)
            for path in ["/status", "/studies", "/studies/\(fixture.flaggedUID)", "/register", "/device", "/analyses/failed"] {
                let html = String(buffer: try await browser.get(path).body)
                #expect(html.contains("<p class=\"demo-banner\" id=\"demo-banner\">\(Self.banner)</p>"), "\(path) lacks the banner")
            }
            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await browser.get("/status").body)
            #expect(russian.contains("Демонстрационная сборка: доверен демонстрационный ключ моделей; не для клинического применения"))
        }
    }

    @Test("without it no page shows the banner")
    func hidden() async throws {
        let fixture = try await PanelFixture()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            #expect(!String(buffer: try await browser.get("/login").body).contains("demo-banner"))
            _ = try await browser.logIn(.technician)
            for path in ["/status", "/studies", "/device", "/analyses/failed"] {
                #expect(!String(buffer: try await browser.get(path).body).contains("demo-banner"), "\(path) shows the banner")
            }
        }
    }

    @Test("the agent's panel settings follow inference.trustDemoKey and keep the panel.* keys")
    func plumbedFromConfiguration() throws {
        let trusting = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_INFERENCE_TRUST_DEMO_KEY": "true", "FLUOROBOX_PANEL_PORT": "0"]).configuration
        #expect(trusting.effectivePanel.trustsDemoModelKey && trusting.effectivePanel.port == 0)
        let clinical = try ApplianceConfiguration.load(file: nil, environment: [:]).configuration
        #expect(!clinical.effectivePanel.trustsDemoModelKey && clinical.effectivePanel.port == 8080)
        #expect(clinical.effectivePanel.language == .en)
        let russian = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_LANGUAGE": "ru"]).configuration
        #expect(russian.effectivePanel.language == .ru)
    }
}
