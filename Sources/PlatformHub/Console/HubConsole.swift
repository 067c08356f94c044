import BrowserAccess
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// The operator's console: a web UI (English and Russian) on a listener of its own beside the
/// device API. Operators' browsers have no device certificate, so the console gets its own port
/// with server-only TLS, and the device API keeps requiring client certificates on its port.
public struct HubConsole: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        /// TCP port; 0 picks a free one.
        public var port = 8444
        /// PEM certificate (chain) and key: with both the console serves HTTPS only and marks its
        /// cookies Secure; without them it listens on loopback only (an SSH tunnel, a local demo).
        public var tlsCertificatePath: String?
        public var tlsKeyPath: String?
        /// A session ends after this many seconds without a request.
        public var sessionIdleSeconds: Double = 8 * 3600
        /// Wrong passwords from one client address before it has to wait, the first wait
        /// (doubling per further failure) and the longest.
        public var lockoutAttempts = 5
        public var loginFirstDelaySeconds: Double = 1
        public var lockoutSeconds: Double = 300
        /// PBKDF2 checks run at once and waiting; more are answered 503.
        public var concurrentPasswordChecks = 2
        public var waitingPasswordChecks = 8
        /// When a device needs a person.
        public var attention = DeviceAttention.Thresholds()
        /// The hub's OS bundle folder (serve --os-bundle-dir): what the device page offers to assign.
        public var osBundleDirectory: String?
        /// The hub's catalog folder (serve --catalog-dir): what the Models page lists and assigns.
        public var catalogDirectory: String?
        /// Heartbeats shown on a device's page.
        public var historyShown = 48
        /// Called with the bound port once the console listens.
        public var onListening: @Sendable (Int) async -> Void = { _ in }

        public init() {}

        public var servesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
    }

    public let store: any HubStoring
    public let settings: Settings
    let sessions: SessionStore<String>
    /// The Shadow runs page's recent totals (``ShadowAgreementCache``).
    let shadowAgreements = ShadowAgreementCache()
    let logger: Logger
    /// The time "last contact" and ages go by; tests pass their own.
    let now: @Sendable () -> Date

    static let sessionCookie = "fluorobox_console_session"
    static let loginCSRFCookie = "fluorobox_console_login_csrf"
    static let languageCookie = "lang"

    public init(store: any HubStoring, settings: Settings, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.settings = settings
        self.logger = logger
        now = clock
        sessions = SessionStore(
            idleSeconds: settings.sessionIdleSeconds, lockoutAttempts: settings.lockoutAttempts,
            firstDelaySeconds: settings.loginFirstDelaySeconds, lockoutSeconds: settings.lockoutSeconds,
            concurrentChecks: settings.concurrentPasswordChecks, waitingChecks: settings.waitingPasswordChecks, clock: clock
        )
    }

    /// Paths served without a session.
    static func isOpen(_ path: String) -> Bool {
        ["/login", "/favicon.ico", "/healthz"].contains(path) || path.hasPrefix("/lang/") || path.hasPrefix("/assets/")
    }

    public func makeRouter() -> Router<ConsoleRequestContext> {
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: ConsoleGuard(console: self))
        addLoginRoutes(to: router)
        addDeviceRoutes(to: router)
        addOSBundleRoutes(to: router)
        addModelRoutes(to: router)
        addRolloutRoutes(to: router)
        addEnrolmentRoutes(to: router)
        addFiguresRoutes(to: router)
        addShadowRunRoutes(to: router)
        addRegulatorRoutes(to: router)
        addOperatorRoutes(to: router)
        return router
    }

    /// The console's own listener: HTTPS when TLS files are given, else plain HTTP on loopback only.
    public func makeApplication() throws(HubError) -> some ApplicationProtocol {
        var server = HTTPServerBuilder.http1()
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (let certificate?, let key?):
            do {
                server = try .tls(.http1(), tlsConfiguration: try ServerTLS.configuration(certificatePath: certificate, keyPath: key))
            } catch {
                throw HubError(.badRequest, "the console cannot serve HTTPS with \(certificate) and \(key): \(error)")
            }
        case (nil, nil):
            guard Self.isLoopback(settings.host) else {
                throw HubError(.badRequest, "without --console-tls-cert and --console-tls-key the console serves plain HTTP on loopback only, not on \(settings.host)")
            }
        default:
            throw HubError(.badRequest, "--console-tls-cert and --console-tls-key go together")
        }
        let settings = settings
        let store = store
        var application = Application(
            router: makeRouter(),
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "fluorobox-hub-console"),
            onServerRunning: { channel in await settings.onListening(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
        // The device API's listener migrates too; both wait on the same lock, so either may start first.
        application.beforeServerStarts { try await store.prepareSchema() }
        return application
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    // MARK: Responses

    func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in HTMLText.pageHeaders { headers[.init(name)!] = value }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func page(_ title: String, _ context: ConsoleRequestContext, path: String, status: HTTPResponse.Status = .ok, body: String) -> Response {
        html(ConsolePage.render(title: context.language(title), context: context, path: path, body: body), status: status)
    }

    func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func download(_ body: String, contentType: String, filename: String) -> Response {
        var response = text(body, contentType: contentType)
        response.headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        return response
    }

    func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// HttpOnly, SameSite=Strict, Secure under TLS.
    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: settings.servesTLS, httpOnly: true, sameSite: .strict)
    }

    func message(_ title: String, _ context: ConsoleRequestContext, path: String, status: HTTPResponse.Status, _ text: String) -> Response {
        page(title, context, path: path, status: status, body: "<section><p class=\"error\" id=\"message\">\(HTMLText.escape(text))</p></section>")
    }

    func forbidden(_ context: ConsoleRequestContext, path: String) -> Response {
        message("Not allowed", context, path: path, status: .forbidden, context.language("Your role does not allow this."))
    }

    /// A store error as a page: what went wrong, with the status the error carries.
    func failure(_ error: any Error, _ context: ConsoleRequestContext, path: String) -> Response {
        let error = error as? HubError ?? HubError(.storage, "\(error)")
        return message("Error", context, path: path, status: HTTPResponse.Status(code: error.httpStatus), error.detail)
    }

    /// The actor of an audit entry.
    static func actor(_ context: ConsoleRequestContext) -> String { context.account?.name ?? "-" }
}

/// Every request: language; the session and its operator (re-read from the store, so a removed
/// account or a changed role holds at once); a session for all but the open paths; a CSRF
/// token on every POST.
struct ConsoleGuard: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: HubConsole

    func handle(_ request: Request, context: ConsoleRequestContext, next: (Request, ConsoleRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        context.language = InterfaceLanguage.choose(
            cookie: request.cookies[HubConsole.languageCookie]?.value, acceptLanguage: request.headers[.acceptLanguage]
        )
        let path = request.uri.path
        if let token = request.cookies[HubConsole.sessionCookie]?.value, let session = await console.sessions.session(token: token) {
            if let account = try await console.store.consoleOperator(name: session.principal) {
                context.session = session
                context.account = account
            } else {
                await console.sessions.logOut(principal: session.principal)
            }
        }
        if request.method == .post {
            guard (request.headers[.contentType] ?? "").hasPrefix("application/x-www-form-urlencoded") else {
                return console.text("forms only (application/x-www-form-urlencoded)", status: .unsupportedMediaType)
            }
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            context.form = HTMLText.decodeForm(String(buffer: body))
        }
        if !HubConsole.isOpen(path) {
            guard let session = context.session else {
                if request.method == .get { return console.redirect("/login?next=" + HTMLText.percentEncode(request.uri.description)) }
                return console.text("log in first", status: .unauthorized)
            }
            if request.method != .get && request.method != .head {
                guard ConstantTime.equal(context.form["csrf"] ?? "", session.csrfToken) else {
                    console.logger.warning("console: POST without a valid CSRF token refused", metadata: ["path": "\(path)"])
                    return console.text("missing or wrong CSRF token; reload the page", status: .forbidden)
                }
            }
        }
        return try await next(request, context)
    }
}
