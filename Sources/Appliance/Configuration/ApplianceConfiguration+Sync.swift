import Sync

extension ApplianceConfiguration {
    /// ``sync`` with the TLS files joined in; throws when only some of them are given.
    public func effectiveSync() throws(ConfigurationError) -> SyncSettings {
        var settings = sync
        let files = [syncTLSCertificate, syncTLSPrivateKey, syncTLSTrustedCA]
        if files.allSatisfy({ $0 != nil }) {
            settings.tls = SyncTLSSettings(
                certificatePath: syncTLSCertificate!, privateKeyPath: syncTLSPrivateKey!, trustedCAPath: syncTLSTrustedCA!,
                certificateRequestPath: syncTLSCertificateRequest
            )
        } else if files.contains(where: { $0 != nil }) {
            throw ConfigurationError(
                .invalidValue, key: "sync.tls", source: "configuration",
                detail: "sync.tls.certificate, sync.tls.privateKey and sync.tls.trustedCA go together; set all three or none"
            )
        }
        if settings.enrolmentToken != nil, settings.tls == nil || syncTLSCertificateRequest == nil {
            throw ConfigurationError(
                .invalidValue, key: "sync.enrolmentToken", source: "configuration",
                detail: "enrolment needs the files it works on: sync.tls.certificate (written by enrolment), sync.tls.privateKey, sync.tls.trustedCA and sync.tls.certificateRequest"
            )
        }
        return settings
    }
}
