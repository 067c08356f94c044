import Foundation

/// How the box reaches the platform (the `sync.*` keys).
public struct SyncSettings: Sendable, Hashable {
    /// Base URL of the platform's device API, e.g. https://hub.example:8443; nil: no platform sync.
    public var hubURL: String?
    /// Accept an `http://` hub URL (a development hub); otherwise the platform is reached only
    /// over mutual TLS.
    public var allowPlainHTTP = false
    /// DICOMweb root of a PACS for STOW-RS, e.g. http://pacs:8042/dicom-web; nil: none.
    public var dicomwebURL: String?
    /// This box's id as the platform knows it.
    public var deviceID = "fluorobox"
    /// Bytes per resumable upload request: a cut resends at most this much.
    public var chunkBytes = 4 * 1024 * 1024
    /// 0: no cap.
    public var bandwidthBytesPerSecond: Double = 0
    public var backoff = BackoffPolicy()
    /// While the link is down, how often the cheap reachability probe runs (seconds).
    public var probeIntervalSeconds: Double = 2
    /// How often an idle destination looks for new items (seconds).
    public var idlePollSeconds: Double = 1
    public var connectTimeoutSeconds: Double = 5
    /// A request that makes no progress for this long is cut (a stalled link).
    public var readTimeoutSeconds: Double = 20
    /// Listen to the kernel's address and route changes (netlink) to retry at once.
    public var watchNetworkChanges = true
    public var tls: SyncTLSSettings?
    /// The operator's one-time enrolment token: while the box has a key and a certificate
    /// request but no certificate yet, sync enrols with it first (`POST /v1/enrolment`).
    public var enrolmentToken: String?
    /// Upload DICOM instances to the platform as pseudonymised copies (PS3.15 basic profile,
    /// keyed pseudonym); the PACS (STOW-RS) still receives the originals.
    public var pseudonymise = false
    /// Upload a DICOM instance re-encoded losslessly (JPEG-LS pixels or a deflated data set)
    /// when that is smaller; the platform decodes the same pixels. The PACS gets the original.
    public var losslessUploads = true
    /// How often the platform's model catalog is polled for updates (seconds); 0: never.
    public var modelUpdateIntervalSeconds: Double = 3600
    /// How often the platform's screening list is fetched (seconds); 0: never.
    public var screeningListIntervalSeconds: Double = 600
    /// How often the heartbeat (``DeviceHeartbeat``) is sent (seconds); 0: never.
    public var heartbeatIntervalSeconds: Double = 300
    /// `dimse` destinations (C-STORE to peers of `dicom.peers`).
    public var dimse = DIMSESettings()

    public init() {}
}

/// How the box sends to `dimse` destinations (the `sync.dimse.*` keys).
public struct DIMSESettings: Sendable, Hashable {
    /// The AE title the box calls with (`dicom.aeTitle`).
    public var callingAETitle = "FLUOROBOX"
    /// AE titles of the destinations asked for storage commitment after C-STORE.
    public var commitmentPeers: Set<String> = []
    /// How long the box waits for the commitment report on the association it stored on.
    public var commitmentWaitSeconds: Double = 30
    /// An item stored but not committed is sent again (and committed anew) after this long.
    public var commitmentTimeoutSeconds: Double = 3600

    public init() {}
}

/// Mutual TLS: the box's certificate and key, and the only CA it trusts (PEM files).
public struct SyncTLSSettings: Sendable, Hashable {
    public var certificatePath: String
    public var privateKeyPath: String
    public var trustedCAPath: String
    /// The PEM certificate request made at first boot with `privateKeyPath`'s key; with an
    /// enrolment token it turns into the certificate at `certificatePath`.
    public var certificateRequestPath: String?

    public init(certificatePath: String, privateKeyPath: String, trustedCAPath: String, certificateRequestPath: String? = nil) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.trustedCAPath = trustedCAPath
        self.certificateRequestPath = certificateRequestPath
    }
}
