import BrowserTesting
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

/// The device page's OS section and the technician's reboot into an installed update. The slots
/// come from the agent's hook (RAUC and the boot loader on the image); the reboot hook here only
/// counts, as a real one would end the test.
@Suite("Panel OS updates")
struct PanelOSUpdateTests {
    static let waiting = OSSlotsSummary(
        bootedSlot: "a", runningVersion: "0.1.0+d973437",
        slots: [.init(name: "a", version: "0.1.0+d973437", state: "good", bootsNext: false), .init(name: "b", version: "0.2.0+e1", state: "trial", bootsNext: true)],
        lastOutcome: "installed 0.2.0+e1 into slot b at 2026-12-07T03:00:00Z; it boots at the next reboot", waitingVersion: "0.2.0+e1")

    static func fixture(slots: OSSlotsSummary?, reboots: CallCounter) async throws -> PanelFixture {
        try await PanelFixture(hooks: PanelHooks(
            system: { SystemSummary(version: "test", startedAt: Date(), captureSources: []) },
            osSlots: { slots },
            rebootIntoOSUpdate: { reboots.call() }
        ))
    }

    @Test("the device page shows the booted slot, both slots' versions and state, the last outcome and the update that waits; EN and RU")
    func slotsAndOutcome() async throws {
        let reboots = CallCounter()
        let fixture = try await Self.fixture(slots: Self.waiting, reboots: reboots)
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.doctor)
            let doctor = String(buffer: try await browser.get("/device").body)
            #expect(doctor.contains("id=\"os-running\">0.1.0+d973437<") && doctor.contains("id=\"os-booted\">a<"))
            #expect(doctor.contains("<tr id=\"os-slot-b\"><td>b</td><td>0.2.0+e1</td><td class=\"ok\">on trial</td><td>boots next</td></tr>"), "\(doctor)")
            #expect(doctor.contains("<tr id=\"os-slot-a\"><td>a</td><td>0.1.0+d973437</td><td class=\"ok\">good</td><td>running</td></tr>"))
            #expect(doctor.contains("it boots at the next reboot") && doctor.contains("id=\"os-waiting\""))
            #expect(!doctor.contains("id=\"os-reboot\""), "the doctor is offered the reboot")

            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            technician.acceptLanguage = "ru-RU,ru;q=0.9"
            let russian = String(buffer: try await technician.get("/device").body)
            for text in ["Операционная система", "на проверке", "загрузится следующим", "Установлено и ждёт перезагрузки:", "Перезагрузить в новую версию"] {
                #expect(russian.contains(text), "Russian device page lacks \(text)")
            }
        }
        #expect(reboots.calls == 0)
    }

    @Test("only a technician's POST with the session's CSRF token reboots, once, and it is audited; without a waiting update nothing reboots")
    func rebootIsGatedAndAudited() async throws {
        let reboots = CallCounter()
        let fixture = try await Self.fixture(slots: Self.waiting, reboots: reboots)
        try await fixture.panel.makeApplication().test(.router) { client in
            var doctor = Browser(client)
            _ = try await doctor.logIn(.doctor)
            let token = try await doctor.csrfToken()
            #expect(try await doctor.post("/device/os/reboot", ["csrf": token]).status == .forbidden)

            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            #expect(try await technician.post("/device/os/reboot", [:]).status == .forbidden, "a POST without the CSRF token")
            #expect(try await technician.post("/device/os/reboot", ["csrf": "forged"]).status == .forbidden)
            let page = String(buffer: try await technician.get("/device").body)
            #expect(page.contains("id=\"os-reboot\""))
            let answer = try await technician.post("/device/os/reboot", ["csrf": try await technician.csrfToken()])
            #expect(answer.status == .ok && String(buffer: answer.body).contains("Rebooting into the new version"))
        }
        // The reboot follows the answer.
        for _ in 0..<50 where reboots.calls == 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(reboots.calls == 1)
        let audit = try await PanelFailedAnalysesTests.auditMessages(fixture, kind: "os.reboot-requested")
        #expect(audit == ["reboot into OS 0.2.0+e1 requested by technician (panel)"])

        var nothing = Self.waiting
        nothing.waitingVersion = nil
        let idle = CallCounter()
        let quiet = try await Self.fixture(slots: nothing, reboots: idle)
        try await quiet.panel.makeApplication().test(.router) { client in
            var technician = Browser(client)
            _ = try await technician.logIn(.technician)
            #expect(!String(buffer: try await technician.get("/device").body).contains("id=\"os-reboot\""))
            let answer = try await technician.post("/device/os/reboot", ["csrf": try await technician.csrfToken()])
            #expect(String(buffer: answer.body).contains("No OS update waits for a reboot."))
        }
        try await Task.sleep(for: .milliseconds(700))
        #expect(idle.calls == 0)
    }

    @Test("a box without A/B slots says so")
    func noSlots() async throws {
        let fixture = try await Self.fixture(slots: nil, reboots: CallCounter())
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let page = String(buffer: try await browser.get("/device").body)
            #expect(page.contains("This box has no A/B system slots.") && !page.contains("id=\"os-slots\""))
        }
    }
}
