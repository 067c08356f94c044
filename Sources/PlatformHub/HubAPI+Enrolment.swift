import BrowserAccess
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
        let address = ClientAddress(peer: try HubRequestScope.require().channel.remoteAddress)
        if case .refused(let seconds) = await enrolmentThrottle.admit(address) {
            logger.warning("enrolment refused unchecked: too many refused enrolments from this address", metadata: [
                "address": "\(address)", "retry_after_s": "\(seconds)",
            ])
            return .tooManyRequests(.init(
                headers: .init(retryAfter: seconds),
                body: .json(.init(
                    error: "too many refused enrolments from this address",
                    detail: "\(address) sent too many enrolments that were refused; nothing was checked; try again in \(seconds) s"))))
        }
        do {
            guard case .json(let request) = input.body, !request.token.isEmpty, request.token.utf8.count <= 256 else {
                throw HubError(.badRequest, "the body must be JSON with \"token\" (the one-time enrolment token) and \"csr\" (a PEM certificate request)")
            }
            let issued = try deviceCA.issue(csrPEM: request.csr, validity: deviceCertificateValidity)
            try await store.enrol(tokenSHA256: EnrolmentToken.digest(of: request.token), certificate: issued)
            await enrolmentThrottle.finish(address, succeeded: true)
            logger.notice("device enrolled", metadata: ["device": "\(issued.device)", "serial": "\(issued.serial)"])
            return .created(.init(body: .json(.init(
                device: issued.device, serial: issued.serial, notAfter: issued.notAfter, certificate: issued.chainPEM
            ))))
        } catch {
            // The hub's own trouble (its database away) is not the client's refusal.
            if let error = error as? HubError, error.httpStatus >= 500 {
                await enrolmentThrottle.abandon(address)
            } else {
                await enrolmentThrottle.finish(address, succeeded: false)
            }
            logger.warning("enrolment refused", metadata: ["address": "\(address)", "reason": "\(error)"])
            throw error
        }
    }
}
