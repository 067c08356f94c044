import Foundation
import PlatformAPITypes

extension HubAPI {
    /// `POST /v1/enrolment`: a box without a certificate yet sends its one-time token and its
    /// certificate request; the hub checks the request's signature and device id, signs a client
    /// certificate with the device CA, consumes the token and records the certificate in one
    /// transaction, and only then answers the chain. Reachable without a client certificate
    /// (optional verification in the TLS handshake); every other device route still needs one.
    func enrol(_ input: Operations.Enrol.Input) async throws -> Operations.Enrol.Output {
        guard let deviceCA else {
            throw HubError(.notFound, "this hub does not enrol devices: it was started without a device CA (--device-ca-dir)")
        }
        guard case .json(let request) = input.body, !request.token.isEmpty, request.token.utf8.count <= 256 else {
            throw HubError(.badRequest, "the body must be JSON with \"token\" (the one-time enrolment token) and \"csr\" (a PEM certificate request)")
        }
        do {
            let issued = try deviceCA.issue(csrPEM: request.csr, validity: deviceCertificateValidity)
            try await store.enrol(tokenSHA256: EnrolmentToken.digest(of: request.token), certificate: issued)
            logger.notice("device enrolled", metadata: ["device": "\(issued.device)", "serial": "\(issued.serial)"])
            return .created(.init(body: .json(.init(
                device: issued.device, serial: issued.serial, notAfter: issued.notAfter, certificate: issued.chainPEM
            ))))
        } catch {
            logger.warning("enrolment refused", metadata: ["reason": "\(error)"])
            throw error
        }
    }
}
