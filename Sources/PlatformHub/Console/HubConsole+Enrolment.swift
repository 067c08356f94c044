import BrowserAccess
import Foundation
import Hummingbird

extension HubConsole {
    func addEnrolmentRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/enrolment") { _, context in
            page("Enrolment", context, path: "/enrolment", body: enrolmentBody(context, secret: nil, token: nil))
        }
        router.post("/enrolment") { _, context in
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/enrolment") }
            let device = (context.form["device"] ?? "").trimmingCharacters(in: .whitespaces)
            guard device.isEmpty || HubServer.isValidDeviceID(device) else {
                return message("Enrolment", context, path: "/enrolment", status: .badRequest, context.language("Not a device id (1 to 128 of letters, digits and .:_-)."))
            }
            guard let hours = Double(context.form["hours"] ?? ""), hours > 0, hours <= 24 * 30 else {
                return message("Enrolment", context, path: "/enrolment", status: .badRequest, context.language("Hours valid: more than 0, at most 720."))
            }
            let (secret, token) = EnrolmentToken.generate(device: device.isEmpty ? nil : device, validFor: .seconds(hours * 3600), createdBy: account.name, now: now())
            do {
                try await store.createEnrolmentToken(token)
            } catch {
                return failure(error, context, path: "/enrolment")
            }
            return page("Enrolment", context, path: "/enrolment", body: enrolmentBody(context, secret: secret, token: token))
        }
    }

    func enrolmentBody(_ context: ConsoleRequestContext, secret: String?, token: EnrolmentToken?) -> String {
        let t = context.language
        let e = HTMLText.escape
        var html = ""
        if let secret, let token {
            html += """
                <section><h2>\(e(t("New enrolment token")))</h2>
                <p class="notice">\(e(t("Shown only now: the hub keeps only its SHA-256. Give it to whoever installs the box.")))</p>
                <code class="secret" id="enrolment-secret">\(e(secret))</code>
                <p>\(e(t(token.device == nil ? "For any device" : "For device"))) \(e(token.device ?? "")) · \(e(t("valid until"))) \(ConsolePage.dateFormatter().string(from: token.expiresAt))</p>
                </section>
                """
        }
        guard context.account?.role.changesDevices == true else {
            return html + "<section><p class=\"na\" id=\"viewer-note\">\(e(t("Your role can see devices but not make enrolment tokens or revoke devices.")))</p></section>"
        }
        html += """
            <section><h2>\(e(t("Make a one-time enrolment token")))</h2>
            <form method="post" action="/enrolment">\(ConsolePage.csrfField(context))
            <label for="device">\(e(t("Device id (empty: any device)")))</label><input id="device" name="device" maxlength="128" size="40">
            <label for="hours">\(e(t("Hours valid")))</label><input id="hours" name="hours" value="72" size="6">
            <p><button type="submit" id="create-token">\(e(t("Make token")))</button></p>
            </form>
            <p class="na">\(e(t("To revoke a device, open it in the device list.")))</p></section>
            """
        return html
    }
}
