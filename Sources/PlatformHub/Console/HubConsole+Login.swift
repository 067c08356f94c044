import BrowserAccess
import Foundation
import Hummingbird

extension HubConsole {
    /// Checked for names that have no account, so a wrong name costs what a wrong password costs
    /// and the time of an answer does not tell which names exist.
    static let decoyHash = try? PasswordHash.make(password: RandomToken.make())

    func addLoginRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/healthz") { _, _ in text("ok\n") }
        router.get("/assets/console.css") { _, _ in text(ConsolePage.css, contentType: "text/css; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/lang/:code") { request, context in
            let language = InterfaceLanguage(rawValue: context.parameters.get("code") ?? "") ?? .en
            var response = redirect(HTMLText.safeLocalPath(request.uri.queryParameters.get("back")))
            response.setCookie(cookie(Self.languageCookie, language.rawValue, maxAge: 365 * 86_400))
            return response
        }
        router.get("/") { _, _ in redirect("/devices") }
        router.get("/login") { request, context in
            loginPage(context, next: request.uri.queryParameters.get("next"), message: nil, status: .ok, existingToken: request.cookies[Self.loginCSRFCookie]?.value)
        }
        router.post("/login") { request, context in
            try await logIn(request, context)
        }
        router.post("/logout") { request, _ in
            if let token = request.cookies[Self.sessionCookie]?.value { await sessions.logOut(token: token) }
            var response = redirect("/login")
            response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
            return response
        }
    }

    /// The login form carries a CSRF token that must match its cookie (login CSRF); an existing
    /// token is kept so a second login page does not invalidate the form already shown.
    func loginPage(_ context: ConsoleRequestContext, next: String?, message: String?, status: HTTPResponse.Status, existingToken: String? = nil) -> Response {
        let t = context.language
        let e = HTMLText.escape
        let token = existingToken.flatMap { HTMLText.isToken($0) ? $0 : nil } ?? RandomToken.make()
        let body = """
            <section style="max-width:460px">
            \(message.map { "<p class=\"error\" id=\"login-error\">\(e($0))</p>" } ?? "")
            <form method="post" action="/login">
            <input type="hidden" name="csrf" value="\(token)">
            <input type="hidden" name="next" value="\(e(HTMLText.safeLocalPath(next)))">
            <label for="name">\(e(t("Operator")))</label><input id="name" name="name" autocomplete="username" required>
            <label for="password">\(e(t("Password")))</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <p><button type="submit" id="login">\(e(t("Log in")))</button></p>
            </form>
            <p class="na">\(e(t("An admin makes accounts here or with fluorobox-hub operator add.")))</p>
            </section>
            """
        var response = page("Log in", context, path: "/login", status: status, body: body)
        response.setCookie(cookie(Self.loginCSRFCookie, token, maxAge: 3600))
        return response
    }

    func logIn(_ request: Request, _ context: ConsoleRequestContext) async throws -> Response {
        let t = context.language
        let form = context.form
        let next = form["next"]
        guard let expected = request.cookies[Self.loginCSRFCookie]?.value, let supplied = form["csrf"], ConstantTime.equal(expected, supplied) else {
            return text("missing or wrong CSRF token; reload the login page", status: .forbidden)
        }
        guard let name = form["name"], ConsoleOperator.isValidName(name), let password = form["password"] else {
            return loginPage(context, next: next, message: t("Enter your operator name and password."), status: .badRequest, existingToken: expected)
        }
        let account = try await store.consoleOperator(name: name)
        switch await sessions.logIn(as: name, password: password, hash: account?.passwordHash ?? Self.decoyHash, client: context.clientAddress) {
        case .success(let session):
            logger.notice("console login", metadata: ["operator": "\(name)", "client": "\(context.clientAddress)"])
            try await store.recordAudit(ConsoleAuditEntry(actor: name, action: ConsoleAuditEntry.Action.login, subject: name, detail: "from \(context.clientAddress)"))
            var response = redirect(HTMLText.safeLocalPath(next) == "/" ? "/devices" : HTMLText.safeLocalPath(next))
            response.setCookie(cookie(Self.sessionCookie, session.token))
            response.setCookie(cookie(Self.loginCSRFCookie, "", maxAge: 0))
            return response
        case .wrongPassword(let remaining):
            logger.warning("console login failed", metadata: ["operator": "\(name)", "client": "\(context.clientAddress)", "attempts_left": "\(remaining)"])
            return loginPage(context, next: next, message: t("Wrong name or password.") + " " + t("Attempts left before a wait:") + " \(remaining)", status: .unauthorized, existingToken: expected)
        case .throttled(let wait):
            let seconds = max(1, Int(wait.rounded(.up)))
            var response = loginPage(context, next: next, message: t("Too many failed logins from this address; try again in seconds:") + " \(seconds)", status: .tooManyRequests, existingToken: expected)
            response.headers[.retryAfter] = String(seconds)
            return response
        case .busy:
            var response = loginPage(context, next: next, message: t("The hub is busy checking other logins; try again in a few seconds."), status: .serviceUnavailable, existingToken: expected)
            response.headers[.retryAfter] = "2"
            return response
        }
    }
}
