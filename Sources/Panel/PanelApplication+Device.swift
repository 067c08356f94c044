import BrowserAccess
import Foundation
import Hummingbird
import StudyStore

extension PanelApplication {
    func addDeviceRoutes(to router: Router<PanelRequestContext>) {
        router.get("/device") { _, context in
            devicePage(context, selfTest: nil, notice: nil)
        }
        router.post("/device/selftest") { _, context in
            guard context.session?.role == .technician else { return forbidden(context, path: "/device", "Only a technician can do this.") }
            let report = await SelfTestReport.run(hooks.selfTestChecks() )
            return devicePage(context, selfTest: report, notice: nil)
        }
        router.get("/device/diagnostics") { _, context in
            guard context.session?.role == .technician else { return forbidden(context, path: "/device", "Only a technician can do this.") }
            let bundle = try await DiagnosticsBundle.gather(store: store, hooks: hooks)
            let stamp = ISO8601DateFormatter().string(from: bundle.generatedAt).replacingOccurrences(of: ":", with: "")
            return bytes(Array(try bundle.json()), contentType: "application/json", filename: "fluorobox-diagnostics-\(stamp).json")
        }
        router.post("/device/restart") { _, context in
            guard context.session?.role == .technician else { return forbidden(context, path: "/device", "Only a technician can do this.") }
            guard let restart = hooks.restartServices else {
                return devicePage(context, selfTest: nil, notice: context.language("Restart is not available here."))
            }
            logger.notice("panel: restart of the agent's services requested", metadata: ["role": "technician"])
            // Answer first; the restart stops this server too.
            Task {
                try? await Task.sleep(for: .milliseconds(500))
                await restart()
            }
            return devicePage(context, selfTest: nil, notice: context.language("Restarting the agent's services; this page is back in a few seconds."))
        }
    }

    func devicePage(_ context: PanelRequestContext, selfTest: SelfTestReport?, notice: String?) -> Response {
        let t = context.language
        let e = HTMLText.escape
        var body = notice.map { "<p class=\"notice\" id=\"notice\">\(e($0))</p>" } ?? ""
        body += "<section id=\"https\"><h2>\(e(t("HTTPS certificate")))</h2>"
        if let certificateFingerprint {
            body += "<p>\(e(t("Compare this SHA-256 fingerprint with the one the browser shows for the certificate.")))</p>"
            body += "<p><code id=\"certificate-fingerprint\">\(e(certificateFingerprint))</code></p></section>"
        } else {
            body += "<p class=\"na\">\(e(t("The panel is served over plain HTTP.")))</p></section>"
        }
        guard let session = context.session, session.role == .technician else {
            body += "<section><p class=\"na\">\(e(t("The device tools are for the technician.")))</p></section>"
            return page("Device", context, path: "/device", body: body)
        }
        body += "<section id=\"selftest\"><h2>\(e(t("Self-test")))</h2>"
        body += "<p>\(e(t("Checks that each capture source answers, each active model reproduces its reference output, the store is intact and each destination is reachable.")))</p>"
        if let selfTest {
            body += "<table id=\"selftest-results\">" + selfTest.results.map { result in
                let (cls, label) = switch result.status {
                case .pass: ("ok", t("pass"))
                case .fail: ("fail", t("fail"))
                case .skipped: ("skip", t("skipped"))
                }
                return "<tr><td class=\"\(cls)\"><b>\(e(label))</b></td><td>\(e(result.name))</td><td>\(e(result.detail))</td></tr>"
            }.joined() + "</table>"
            body += "<p id=\"selftest-verdict\" class=\"\(selfTest.passed ? "ok" : "fail")\"><b>\(e(selfTest.passed ? t("Self-test passed") : t("Self-test failed")))</b></p>"
        }
        body += "<form method=\"post\" action=\"/device/selftest\">\(HTML.csrfField(session))<button type=\"submit\" id=\"run-selftest\">\(e(t("Run self-test")))</button></form></section>"
        body += """
            <section id="diagnostics"><h2>\(e(t("Diagnostics")))</h2>
            <p>\(e(t("Logs, configuration without secrets, versions and the self-test, with patient names removed.")))</p>
            <p><a class="button" id="download-diagnostics" href="/device/diagnostics">\(e(t("Download diagnostics bundle")))</a></p></section>
            <section id="restart"><h2>\(e(t("Restart")))</h2>
            <form method="post" action="/device/restart">\(HTML.csrfField(session))<button type="submit" id="restart-services">\(e(t("Restart the agent's services")))</button></form></section>
            """
        return page("Device", context, path: "/device", body: body)
    }
}
