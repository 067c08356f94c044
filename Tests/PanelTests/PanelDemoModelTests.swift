import BrowserTesting
import Analysis
import Appliance
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Inference
import Panel
import StudyStore
import Testing

/// With a demonstration model active every page says its findings mean nothing, and the study
/// page marks each of its findings; the panel learns which models those are from its hooks.
@Suite("Panel marks a demonstration model")
struct PanelDemoModelTests {
    static let english = "Demonstration model: its findings on real radiographs mean nothing; not for clinical use."
    static let russian = "Демонстрационная модель: её находки на реальных снимках ничего не значат; не для клинического применения."
    static let package = "chest-phantom-demo@2.0.1"

    static func hooks(demonstration: [String], models: [SystemSummary.Model] = []) -> PanelHooks {
        PanelHooks(system: { SystemSummary(version: "test", models: models) }, demonstrationModels: { demonstration })
    }

    @Test("an active demonstration model puts the banner on every page, the login page too, in English and Russian")
    func bannerEverywhere() async throws {
        let fixture = try await PanelFixture(hooks: Self.hooks(demonstration: [Self.package]))
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            let login = String(buffer: try await browser.get("/login").body)
            #expect(login.contains("id=\"demo-model-banner\">\(Self.english) <small>(\(Self.package))</small></p>"), "\(login)")
            _ = try await browser.logIn(.technician)
            let pages = ["/status", "/studies", "/studies/\(fixture.flaggedUID)", "/register", "/device", "/analyses/failed"]
            for path in pages {
                #expect(String(buffer: try await browser.get(path).body).contains(Self.english), "\(path) lacks the banner")
            }
            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            for path in pages {
                let html = String(buffer: try await browser.get(path).body)
                #expect(html.contains(Self.russian) && !html.contains(Self.english), "\(path) lacks the Russian banner")
            }
        }
    }

    @Test("without an active demonstration model no page shows that banner")
    func noBanner() async throws {
        let fixture = try await PanelFixture(hooks: Self.hooks(demonstration: []))
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            #expect(!String(buffer: try await browser.get("/login").body).contains("demo-model-banner"))
            _ = try await browser.logIn(.technician)
            for path in ["/status", "/studies", "/device"] {
                #expect(!String(buffer: try await browser.get(path).body).contains("demo-model-banner"), "\(path)")
            }
        }
    }

    @Test("the study page marks every finding of a demonstration model's result (EN, RU) and none of a clinical one; the worklist and status page mark them too")
    func findingsMarked() async throws {
        let fixture = try await PanelFixture(hooks: Self.hooks(
            demonstration: [], models: [.init(task: "chest-findings", active: Self.package, demonstration: true)]
        ))
        let clinical = try await PanelFixture.ingest(fixture.store, DemoStudy.makePart10(seed: 11, size: 256))
        let database = try DatabaseQueue(path: fixture.folder.path + "/store.sqlite")
        try await database.write { db in
            try PanelFixture.addResult(db, instanceID: clinical.instance, flagged: true, verdict: "acceptable", problems: [], modelUse: "clinical")
        }
        try database.close()
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let demo = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            let findings = demo.components(separatedBy: "<span class=\"finding\">").count - 1
            let marks = demo.components(separatedBy: "<b class=\"badge demo-mark\">demonstration model: means nothing</b>").count - 1
            #expect(findings == 2 && marks == findings, "\(findings) findings, \(marks) marks")
            #expect(demo.contains("<p class=\"error demo-result\">\(Self.english)</p>"))
            #expect(demo.contains("(demonstration model)"))

            let other = String(buffer: try await browser.get("/studies/\(clinical.study)").body)
            #expect(other.components(separatedBy: "<span class=\"finding\">").count - 1 == 2)
            #expect(!other.contains("demo-mark") && !other.contains("demo-result") && other.contains("(clinical model)"))

            let worklist = String(buffer: try await browser.get("/studies").body)
            let demoRow = try #require(worklist.components(separatedBy: "<tr class=\"study\"").first { $0.contains(fixture.flaggedUID) })
            let clinicalRow = try #require(worklist.components(separatedBy: "<tr class=\"study\"").first { $0.contains(clinical.study) })
            #expect(demoRow.contains("demo-mark") && !clinicalRow.contains("demo-mark"))

            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await browser.get("/studies/\(fixture.flaggedUID)").body)
            #expect(russian.components(separatedBy: "демонстрационная модель: ничего не значит").count - 1 == 2)
            #expect(russian.contains(Self.russian))
        }
        let technician = try await PanelFixture(hooks: Self.hooks(
            demonstration: [Self.package], models: [.init(task: "chest-findings", active: Self.package, demonstration: true)]
        ))
        try await technician.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let status = String(buffer: try await browser.get("/status").body)
            #expect(status.contains("\(Self.package) <span class=\"badge demo-mark\">demonstration model</span>"), "\(status)")
        }
    }

    @Test("the agent's hooks name the active demonstration package, and no clinical one")
    func applianceHooks() async throws {
        let folder = TemporaryDirectory("panel-demo-hooks")
        let data = folder.file("data")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: data)), logger: quietLogger)
        let configuration = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_DATA_DIR": data]).configuration
        let hooks = PanelHooks.appliance(configuration: configuration, store: store, gate: nil, logger: quietLogger)
        #expect(await hooks.demonstrationModels() == [])

        try await DemoModel.install(into: configuration.modelPackagesDirectory)
        #expect(await hooks.demonstrationModels() == [Self.package])
        let summary = await hooks.system()
        #expect(summary.models?.map(\.demonstration) == [true], "\(String(describing: summary.models))")

        let clinicalData = folder.file("clinical")
        let clinicalConfiguration = try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_DATA_DIR": clinicalData]).configuration
        let clinicalStore = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: clinicalData)), logger: quietLogger)
        try await DemoModel.installClinical(into: clinicalConfiguration.modelPackagesDirectory, key: ModelSigningKey(), scratch: folder.file("copy"))
        let clinicalHooks = PanelHooks.appliance(configuration: clinicalConfiguration, store: clinicalStore, gate: nil, logger: quietLogger)
        #expect(await clinicalHooks.demonstrationModels() == [])
        #expect(await clinicalHooks.system().models?.map(\.demonstration) == [false])
    }
}
