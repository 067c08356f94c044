import Foundation
import Hummingbird
import Logging
import NIOCore

extension HubServer {
    /// `POST /v1/enrolment`: a box without a certificate yet sends its one-time token and its
    /// certificate request; the hub checks the request's signature and device id, signs a client
    /// certificate with the device CA, consumes the token and records the certificate in one
    /// transaction, and only then answers the chain. Reachable without a client certificate
    /// (optional verification in the TLS handshake); every other device route still needs one.
    static func addEnrolmentRoute(
        to router: Router<HubRequestContext>, store: any HubStoring, ca: DeviceCA?, validity: Duration, logger: Logger
    ) {
        router.post("/v1/enrolment") { request, context -> Response in
            guard let ca else {
                return problem(HubError(.notFound, "this hub does not enrol devices: it was started without a device CA (--device-ca-dir)"))
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: 64 * 1024)
            } catch {
                return problem(HubError(.tooLarge, "an enrolment request is at most 64 KiB"))
            }
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            guard let token = object?["token"] as? String, !token.isEmpty, token.utf8.count <= 256 else {
                return problem(HubError(.badRequest, "the body must be JSON with \"token\" (the one-time enrolment token) and \"csr\" (a PEM certificate request)"))
            }
            guard let csr = object?["csr"] as? String else {
                return problem(HubError(.badRequest, "the body has no \"csr\" (the PEM certificate request made at first boot)"))
            }
            do {
                let issued = try ca.issue(csrPEM: csr, validity: validity)
                try await store.enrol(tokenSHA256: EnrolmentToken.digest(of: token), certificate: issued)
                logger.notice("device enrolled", metadata: ["device": "\(issued.device)", "serial": "\(issued.serial)"])
                return json([
                    "device": issued.device, "serial": issued.serial,
                    "notAfter": ISO8601DateFormatter().string(from: issued.notAfter), "certificate": issued.chainPEM,
                ], status: .created)
            } catch {
                logger.warning("enrolment refused", metadata: ["reason": "\(error)"])
                return problem(error)
            }
        }
    }
}
