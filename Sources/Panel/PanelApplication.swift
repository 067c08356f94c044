import BrowserAccess
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import StudyStore

/// The panel: routes, the auth middleware and the shared state, built into a Hummingbird
/// application (served by ``PanelService`` in the agent, or by the tests directly).
public struct PanelApplication: Sendable {
    public let store: StudyStore
    public let settings: PanelSettings
    public let credentials: PanelCredentials
    public let hooks: PanelHooks
    let sessions: SessionStore<PanelRole>
    let metrics = PanelMetrics()
    let logger: Logger
    /// SHA-256 of the HTTPS certificate, for the device page; nil over plain HTTP.
    let certificateFingerprint: String?

    static let sessionCookie = "fluorobox_session"
    static let loginCSRFCookie = "fluorobox_login_csrf"
    static let languageCookie = "lang"
    /// Paths served without a session: health, metrics, the login page, the language switch, assets.
    static func isOpen(_ path: String) -> Bool {
        ["/healthz", "/readyz", "/metrics", "/login", "/favicon.ico"].contains(path) || path.hasPrefix("/lang/") || path.hasPrefix("/assets/")
    }
    /// Paths that never answer with a page (probes, assets, images, the event stream).
    static func isNeverAPage(_ path: String) -> Bool {
        ["/healthz", "/readyz", "/metrics", "/favicon.ico", "/events"].contains(path) || path.hasPrefix("/assets/") || path.hasPrefix("/instances/")
    }

    /// `sessions`: one that outlives this application (the agent's, across restarts); nil makes a new one.
    public init(
        store: StudyStore, settings: PanelSettings, credentials: PanelCredentials, hooks: PanelHooks, logger: Logger,
        sessions: SessionStore<PanelRole>? = nil
    ) {
        self.store = store
        self.settings = settings
        self.credentials = credentials
        self.hooks = hooks
        self.sessions = sessions ?? SessionStore<PanelRole>(settings: settings)
        self.logger = logger
        certificateFingerprint = settings.servesTLS ? settings.tlsCertificatePath.flatMap(PanelTLS.certificateFingerprint(path:)) : nil
    }

    public func makeRouter() -> Router<PanelRequestContext> {
        let router = Router(context: PanelRequestContext.self)
        router.add(middleware: PanelGuard(panel: self))
        addOpenRoutes(to: router)
        addStatusRoutes(to: router)
        addStudyRoutes(to: router)
        addRegistrationRoutes(to: router)
        addDeviceRoutes(to: router)
        addAnalysisRoutes(to: router)
        return router
    }

    /// The application on `settings.listenAddress:port`, HTTPS when TLS files are configured;
    /// `onServing` gets the bound port.
    public func makeApplication(onServing: @escaping @Sendable (Int) async -> Void = { _ in }) throws(PanelError) -> some ApplicationProtocol {
        var server = HTTPServerBuilder.http1()
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (let certificate?, let key?):
            let configuration = try PanelTLS.serverConfiguration(certificatePath: certificate, keyPath: key)
            do {
                server = try .tls(.http1(), tlsConfiguration: configuration)
            } catch {
                throw PanelError(.tls, "cannot serve HTTPS with \(certificate): \(error)")
            }
        case (nil, nil):
            break
        default:
            throw PanelError(.tls, "panel.tlsCertificate and panel.tlsKey are set together or not at all")
        }
        return Application(
            router: makeRouter(),
            server: server,
            // A deeper accept queue than the default 256: when a flood of connections overflows
            // it the kernel drops SYNs, and a health probe among them waits for the 1 s retransmit.
            configuration: .init(address: .hostname(settings.listenAddress, port: settings.port), serverName: "fluorobox", backlog: 1024),
            onServerRunning: { channel in await onServing(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }

    // MARK: Responses

    func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in HTMLText.pageHeaders { headers[.init(name)!] = value }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func page(_ title: String, _ context: PanelRequestContext, path: String, status: HTTPResponse.Status = .ok, body: String) -> Response {
        html(HTML.page(
            title: context.language(title), language: context.language, session: context.session, path: path,
            demoBuild: settings.trustsDemoModelKey, demonstrationModels: context.demonstrationModels, body: body
        ), status: status)
    }

    func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func bytes(_ bytes: [UInt8], contentType: String, filename: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "private, no-store"
        if let filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: settings.secureCookies, httpOnly: true, sameSite: .strict)
    }

    func forbidden(_ context: PanelRequestContext, path: String, _ message: String) -> Response {
        page("Not allowed", context, path: path, status: .forbidden, body: "<section><p class=\"error\">\(HTMLText.escape(context.language(message)))</p></section>")
    }
}

/// Every request: language; a session for all but the open paths; a CSRF token on every POST.
struct PanelGuard: RouterMiddleware {
    typealias Context = PanelRequestContext
    let panel: PanelApplication

    func handle(_ request: Request, context: PanelRequestContext, next: (Request, PanelRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        context.language = PanelLanguage.choose(
            cookie: request.cookies[PanelApplication.languageCookie]?.value,
            acceptLanguage: request.headers[.acceptLanguage],
            otherwise: panel.settings.language
        )
        let path = request.uri.path
        if let token = request.cookies[PanelApplication.sessionCookie]?.value {
            context.session = await panel.sessions.session(token: token)
        }
        if request.method == .post {
            let contentType = request.headers[.contentType] ?? ""
            guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
                return respond(panel.text("forms only (application/x-www-form-urlencoded)", status: .unsupportedMediaType))
            }
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            context.form = HTMLText.decodeForm(String(buffer: body))
        }
        if !PanelApplication.isOpen(path) {
            guard let session = context.session else {
                if request.method == .get {
                    return respond(panel.redirect("/login?next=" + HTMLText.percentEncode(request.uri.description)))
                }
                return respond(panel.text("log in first", status: .unauthorized))
            }
            if request.method != .get && request.method != .head {
                let supplied = context.form["csrf"] ?? request.headers[.init("X-CSRF-Token")!] ?? ""
                guard ConstantTime.equal(supplied, session.csrfToken) else {
                    panel.logger.warning("panel: POST without a valid CSRF token refused", metadata: ["path": "\(path)"])
                    return respond(panel.text("missing or wrong CSRF token; reload the page", status: .forbidden))
                }
            }
        }
        if !PanelApplication.isNeverAPage(path) {
            context.demonstrationModels = await panel.hooks.demonstrationModels()
        }
        return respond(try await next(request, context))
    }

    private func respond(_ response: Response) -> Response {
        panel.metrics.request(status: Int(response.status.code))
        return response
    }
}
