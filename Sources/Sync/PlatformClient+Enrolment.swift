import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import POSIXSupport
import PlatformAPIClient
import PlatformAPITypes
import X509

extension PlatformClient {
    struct Connection: Sendable {
        var http: HTTPClient
        var configuration: HTTPClient.Configuration
        /// Set while the box has no certificate yet and may enrol for one.
        var awaitingCertificate: SyncTLSSettings?
        /// Clients replaced on switching to mutual TLS; shut down with this one, since a request
        /// may still be in flight on them.
        var retired: [HTTPClient] = []
    }

    /// Whether the box still waits for its certificate (enrolment not done yet).
    public var awaitingCertificate: Bool {
        _ = current()
        return connection.withLock { $0.awaitingCertificate != nil }
    }

    /// The HTTP client to use now. While enrolment is pending it looks (one stat) whether the
    /// certificate has arrived, and switches to mutual TLS once it has: no restart needed, and
    /// the agent's other clients of the platform follow the one that enrolled.
    func current() -> HTTPClient {
        connection.withLock { state in
            guard let tls = state.awaitingCertificate, FileManager.default.fileExists(atPath: tls.certificatePath) else {
                return state.http
            }
            do {
                var configuration = state.configuration
                configuration.tlsConfiguration = try SyncTLS.clientConfiguration(tls)
                state.retired.append(state.http)
                state.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                state.configuration = configuration
                state.awaitingCertificate = nil
                logger.notice("switched to mutual TLS with the enrolled certificate", metadata: ["certificate": "\(tls.certificatePath)"])
            } catch {
                logger.error("the enrolled certificate cannot be used; still without one", metadata: ["error": "\(error)"])
            }
            return state.http
        }
    }

    /// Enrols when the box has a key and certificate request but no certificate: sends the
    /// one-time token and the request to `POST /v1/enrolment`, checks that the answer certifies
    /// this box's key and device id, writes the chain atomically where `sync.tls.certificate`
    /// points, and switches to mutual TLS. false: nothing to do (already has a certificate).
    @discardableResult
    public func enrolIfNeeded() async throws(SyncError) -> Bool {
        _ = current()
        guard let tls = connection.withLock({ $0.awaitingCertificate }), let requestPath = tls.certificateRequestPath,
              let token = settings.enrolmentToken
        else { return false }
        let csrPEM = try await Self.readText(requestPath, what: "the certificate request")
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw SyncError(.configuration, "\(requestPath) is not a PEM certificate request: \(error)")
        }
        let named = Self.commonName(request.subject)
        guard named == settings.deviceID else {
            throw SyncError(.configuration, "the certificate request \(requestPath) names device \(named ?? "(none)"), but sync.deviceID is \(settings.deviceID): the hub would certify another id than the box uses")
        }
        let output = try await call("enrolment", deadline: .seconds(30)) {
            try await $0.enrol(body: .json(.init(token: token, csr: csrPEM)))
        }
        let issued: Operations.Enrol.Output.Created.Body.JsonPayload
        switch output {
        case .created(let created):
            switch created.body { case .json(let body): issued = body }
        case .badRequest(let problem): throw SyncError(.refused, "enrolment refused (HTTP 400): \(Self.detail(problem))")
        case .forbidden(let problem): throw SyncError(.refused, "enrolment refused (HTTP 403): \(Self.detail(problem))")
        case .notFound(let problem): throw SyncError(.refused, "enrolment refused (HTTP 404): \(Self.detail(problem))")
        case .contentTooLarge(let problem): throw SyncError(.refused, "enrolment refused (HTTP 413): \(Self.detail(problem))")
        case .tooManyRequests(let held):
            // Too many refused enrolments came from this address (ours, or others behind the same
            // router): the hub checked nothing; the next attempt comes after the usual backoff.
            let detail = switch held.body { case .json(let problem): problem.detail }
            throw SyncError(.serverError, "enrolment held back by the hub for \(held.headers.retryAfter) s (HTTP 429): \(detail)")
        case .serviceUnavailable(let problem): throw Self.error(status: 503, problem: problem, what: "enrolment")
        case .undocumented(let status, let payload): throw Self.error(status: status, body: await Self.bytes(of: payload), what: "enrolment")
        }
        let chain = issued.certificate
        guard let leafDER = try? NIOSSLCertificate.fromPEMBytes(Array(chain.utf8)).first?.toDERBytes(),
              let leaf = try? Certificate(derEncoded: leafDER)
        else {
            throw SyncError(.protocolViolation, "the enrolment answer carries no PEM certificate")
        }
        guard leaf.publicKey == request.publicKey, Self.commonName(leaf.subject) == settings.deviceID else {
            throw SyncError(.protocolViolation, "the hub's certificate is not for this box's key and device \(settings.deviceID); not kept")
        }
        do {
            try await BlockingIO.run {
                try Array(chain.utf8).withUnsafeBytes { try Posix.replaceFile(tls.certificatePath, with: $0, mode: 0o644) }
            }
        } catch {
            throw SyncError(.localStorage, "writing the enrolled certificate to \(tls.certificatePath): \(error)")
        }
        logger.notice("enrolled with the platform", metadata: [
            "device": "\(settings.deviceID)", "serial": "\(issued.serial)", "certificate": "\(tls.certificatePath)",
        ])
        _ = current()
        return true
    }

    static func commonName(_ name: DistinguishedName) -> String? {
        name.flatMap { $0 }.last { $0.type == .RDNAttributeType.commonName }.flatMap { String($0.value) }
    }

    static func readText(_ path: String, what: String) async throws(SyncError) -> String {
        do {
            return try await BlockingIO.run { try String(contentsOfFile: path, encoding: .utf8) }
        } catch {
            throw SyncError(.configuration, "reading \(what) \(path): \(error)")
        }
    }
}
