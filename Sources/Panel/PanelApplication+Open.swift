import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport
import StudyStore

extension PanelApplication {
    func addOpenRoutes(to router: Router<PanelRequestContext>) {
        router.get("/healthz") { _, _ in
            store.isResponsive() ? text("ok\n") : text("store not responding\n", status: .serviceUnavailable)
        }
        router.get("/readyz") { _, _ in
            await hooks.isReady() ? text("ready\n") : text("starting\n", status: .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            let status = try? await BlockingIO.run { try store.status() }
            let counters = try? await BlockingIO.run { try store.worklistCounters() }
            return text(metrics.render(status: status, counters: counters, sessions: await sessions.count), contentType: "text/plain; version=0.0.4")
        }
        router.get("/assets/panel.css") { _, _ in
            text(PanelAssets.css, contentType: "text/css; charset=utf-8")
        }
        router.get("/assets/panel.js") { _, _ in
            text(PanelAssets.javascript, contentType: "text/javascript; charset=utf-8")
        }
        router.get("/lang/:code") { request, context in
            let language = PanelLanguage(rawValue: context.parameters.get("code") ?? "") ?? .en
            var response = redirect(HTMLText.safeLocalPath(request.uri.queryParameters.get("back")))
            response.setCookie(cookie(Self.languageCookie, language.rawValue, maxAge: 365 * 86_400))
            return response
        }
        router.get("/") { _, _ in redirect("/status") }
        router.get("/login") { request, context in
            loginPage(context, next: request.uri.queryParameters.get("next"), message: nil, status: .ok, existingToken: request.cookies[Self.loginCSRFCookie]?.value)
        }
        // Browsers ask for it on every page; an empty answer keeps it off the login redirect.
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.post("/login") { request, context in
            try await logIn(request, context)
        }
        router.post("/logout") { request, context in
            if let token = request.cookies[Self.sessionCookie]?.value { await sessions.logOut(token: token) }
            var response = redirect("/login")
            response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
            return response
        }
    }

    /// The login form carries a CSRF token that must match its cookie (login CSRF).
    /// An existing token is kept, so a second login page (another tab, a favicon redirect) does
    /// not invalidate the form already shown.
    func loginPage(_ context: PanelRequestContext, next: String?, message: String?, status: HTTPResponse.Status, existingToken: String? = nil) -> Response {
        let t = context.language
        let token = existingToken.flatMap { HTMLText.isToken($0) ? $0 : nil } ?? RandomToken.make()
        let roles = PanelRole.allCases.map { role in
            "<option value=\"\(role.rawValue)\">\(HTMLText.escape(t(role == .doctor ? "Doctor" : "Technician")))</option>"
        }.joined()
        let body = """
            <section style="max-width:460px">
            \(message.map { "<p class=\"error\" id=\"login-error\">\(HTMLText.escape($0))</p>" } ?? "")
            <form method="post" action="/login">
            <input type="hidden" name="csrf" value="\(token)">
            <input type="hidden" name="next" value="\(HTMLText.escape(HTMLText.safeLocalPath(next)))">
            <label for="role">\(HTMLText.escape(t("Role")))</label><select id="role" name="role">\(roles)</select>
            <label for="password">\(HTMLText.escape(t("Password")))</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <p><button type="submit" id="login">\(HTMLText.escape(t("Log in")))</button></p>
            </form>
            <p class="na">\(HTMLText.escape(t("The passwords were printed once when the box first started; fluorobox panel-password sets a new one.")))</p>
            </section>
            """
        var response = page("Log in", context, path: "/login", status: status, body: body)
        response.setCookie(cookie(Self.loginCSRFCookie, token, maxAge: 3600))
        return response
    }

    func logIn(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let t = context.language
        let form = context.form
        let next = form["next"]
        guard let expected = request.cookies[Self.loginCSRFCookie]?.value, let supplied = form["csrf"],
              ConstantTime.equal(expected, supplied) else {
            return text("missing or wrong CSRF token; reload the login page", status: .forbidden)
        }
        guard let role = PanelRole(rawValue: form["role"] ?? ""), let password = form["password"] else {
            return loginPage(context, next: next, message: t("Choose a role and enter the password."), status: .badRequest, existingToken: expected)
        }
        switch await sessions.logIn(as: role, password: password, hash: credentials.hash(for: role), client: context.clientAddress) {
        case .success(let session):
            logger.notice("panel login", metadata: ["role": "\(role.rawValue)", "client": "\(context.clientAddress)"])
            var response = redirect(HTMLText.safeLocalPath(next))
            response.setCookie(cookie(Self.sessionCookie, session.token))
            response.setCookie(cookie(Self.loginCSRFCookie, "", maxAge: 0))
            return response
        case .wrongPassword(let remaining):
            metrics.failedLogins.increment()
            logger.warning("panel login failed", metadata: ["role": "\(role.rawValue)", "client": "\(context.clientAddress)", "attempts_left": "\(remaining)"])
            return loginPage(context, next: next, message: t("Wrong password.") + " " + t("Attempts left before a wait:") + " \(remaining)", status: .unauthorized, existingToken: expected)
        case .throttled(let wait):
            metrics.throttledLogins.increment()
            let seconds = max(1, Int(wait.rounded(.up)))
            var response = loginPage(context, next: next, message: t("Too many failed logins from this device; try again in seconds:") + " \(seconds)", status: .tooManyRequests, existingToken: expected)
            response.headers[.retryAfter] = String(seconds)
            return response
        case .busy:
            metrics.busyLogins.increment()
            var response = loginPage(context, next: next, message: t("The box is busy checking other logins; try again in a few seconds."), status: .serviceUnavailable, existingToken: expected)
            response.headers[.retryAfter] = "2"
            return response
        }
    }
}
