import NIOSSL

/// The box's side of mutual TLS: its own certificate, trust in the configured CA only, TLS 1.2+.
enum SyncTLS {
    static func clientConfiguration(_ settings: SyncTLSSettings) throws(SyncError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        do {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(settings.certificatePath).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: settings.privateKeyPath, format: .pem))
            // Only the configured CA, never the system's store.
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(settings.trustedCAPath))
        } catch {
            throw SyncError(.configuration, "loading the device's TLS files (\(settings.certificatePath), \(settings.privateKeyPath), \(settings.trustedCAPath)): \(error)")
        }
        return configuration
    }

    /// Before enrolment: the hub is checked against the trusted CA as always, but the box has no
    /// certificate of its own to present yet.
    static func enrolmentConfiguration(_ settings: SyncTLSSettings) throws(SyncError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        do {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(settings.trustedCAPath))
        } catch {
            throw SyncError(.configuration, "loading the trusted CA \(settings.trustedCAPath): \(error)")
        }
        return configuration
    }
}
