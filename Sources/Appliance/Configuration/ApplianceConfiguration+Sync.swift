import DICOMNetwork
import StudyStore
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
        settings.dimse.callingAETitle = dicom.aeTitle
        return settings
    }

    /// The peers of the `dimse:AE_TITLE` destinations in `outbox.destinations`, each from
    /// `dicom.peers`; throws when one names no peer there.
    public func dimsePeers() throws(ConfigurationError) -> [DICOMPeer] {
        var peers: [DICOMPeer] = []
        for destination in destinations {
            guard let aeTitle = destination.dimseAETitle else { continue }
            guard let peer = dicom.peers.first(where: { $0.aeTitle == aeTitle }) else {
                throw ConfigurationError(
                    .invalidValue, key: "outbox.destinations", source: "configuration",
                    detail: "\(destination) names no peer of dicom.peers (AE_TITLE=host:port) with AE title \(aeTitle)"
                )
            }
            peers.append(peer)
        }
        return peers
    }
}
