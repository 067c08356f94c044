import NIOSSL

/// HTTPS for people's browsers (the panel, the console): a certificate chain and key from PEM
/// files, TLS 1.2 or later, no client certificate asked.
public enum ServerTLS {
    public static func configuration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
