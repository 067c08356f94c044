import Sync

extension ApplianceConfiguration {
    /// ``sync`` with the TLS files joined in; throws when only some of them are given.
    public func effectiveSync() throws(ConfigurationError) -> SyncSettings {
        var settings = sync
        let files = [syncTLSCertificate, syncTLSPrivateKey, syncTLSTrustedCA]
        if files.allSatisfy({ $0 != nil }) {
            settings.tls = SyncTLSSettings(
                certificatePath: syncTLSCertificate!, privateKeyPath: syncTLSPrivateKey!, trustedCAPath: syncTLSTrustedCA!
            )
        } else if files.contains(where: { $0 != nil }) {
            throw ConfigurationError(
                .invalidValue, key: "sync.tls", source: "configuration",
                detail: "sync.tls.certificate, sync.tls.privateKey and sync.tls.trustedCA go together; set all three or none"
            )
        }
        return settings
    }
}
