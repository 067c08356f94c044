import BrowserAccess
import NIOSSL

/// The hub's side of mutual TLS: its certificate, and the CA every device certificate must
/// chain to. TLS 1.2 or later; a client without a valid certificate is refused in the handshake.
public struct HubTLSSettings: Sendable, Hashable {
    public var certificatePath: String
    public var privateKeyPath: String
    public var clientCAPath: String

    public init(certificatePath: String, privateKeyPath: String, clientCAPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }

    /// `clientCertificateOptional`: a client without a certificate completes the handshake (to
    /// enrol); one that presents a certificate must still chain to the client CA.
    func serverConfiguration(clientCertificateOptional: Bool = false) throws(HubError) -> TLSConfiguration {
        do {
            var configuration = try ServerTLS.configuration(certificatePath: certificatePath, keyPath: privateKeyPath)
            // Verify the client's chain (a server has no host name to check) and require one.
            configuration.certificateVerification = clientCertificateOptional ? .optionalVerification : .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCAPath))
            return configuration
        } catch {
            throw HubError(.storage, "loading the hub's TLS files (\(certificatePath), \(privateKeyPath), \(clientCAPath)): \(error)")
        }
    }
}
