import Sync

extension ConfigurationKey {
    /// Sync to the platform (`sync.*`).
    static let sync: [ConfigurationKey] = [
        ConfigurationKey(
            name: "sync.hubURL", kind: .string, defaultValue: "",
            summary: "Base URL of the platform's device API (docs/platform-api.yaml), e.g. `https://hub.example:8443`; empty turns platform sync off. `fluorobox serve --hub-url` overrides it."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.hubURL = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.allowPlainHTTP", kind: .boolean, defaultValue: "false",
            summary: "Development only: accept an `http://` `sync.hubURL` (a hub started with `--development-plain-http`, which trusts the device's word for who it is). Off, the box reaches the platform only over HTTPS with mutual TLS and refuses to start platform sync otherwise."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.allowPlainHTTP = try value.boolean()
        },
        ConfigurationKey(
            name: "sync.dicomwebURL", kind: .string, defaultValue: "",
            summary: "DICOMweb root of a PACS (e.g. `http://pacs:8042/dicom-web`) that receives every DICOM instance by STOW-RS; the `dicomweb` destination must be in `destinations` for intake to queue it. Empty: no PACS."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.dicomwebURL = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.deviceID", kind: .string, defaultValue: "fluorobox",
            summary: "This box's id at the platform (letters, digits, `.:_-`)."
        ) { configuration, value throws(ConfigurationError) in
            let id = try value.text()
            guard !id.isEmpty, id.utf8.count <= 128, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:_-".contains($0)) }) else {
                throw value.invalid("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            configuration.sync.deviceID = id
        },
        ConfigurationKey(
            name: "sync.chunkSize", kind: .size, defaultValue: "4MB",
            summary: "Bytes per resumable upload request; a cut link resends at most this much (64KB to 64MB)."
        ) { configuration, value throws(ConfigurationError) in
            guard let bytes = try value.size(), (65_536...67_108_864).contains(bytes) else { throw value.invalid("must be from 64KB to 64MB") }
            configuration.sync.chunkBytes = Int(bytes)
        },
        ConfigurationKey(
            name: "sync.bandwidthLimit", kind: .size, defaultValue: "0",
            summary: "Upload cap in bytes per second (e.g. `2MB`), so sync leaves room on a thin link; 0 means no cap."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.bandwidthBytesPerSecond = Double(try value.size() ?? 0)
        },
        ConfigurationKey(
            name: "sync.backoffInitialSeconds", kind: .number, defaultValue: "1",
            summary: "Backoff after the first failed delivery; it doubles (with jitter) per failure up to `sync.backoffMaximumSeconds`. There is no give-up."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.backoff.initial = try value.positive()
        },
        ConfigurationKey(
            name: "sync.backoffMaximumSeconds", kind: .number, defaultValue: "300",
            summary: "The longest backoff between delivery attempts."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.backoff.maximum = try value.positive()
        },
        ConfigurationKey(
            name: "sync.probeIntervalSeconds", kind: .number, defaultValue: "2",
            summary: "While the link is down, how often the cheap reachability probe runs; a probe that succeeds (or an address/route change) ends the backoff at once."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.probeIntervalSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "sync.readTimeoutSeconds", kind: .number, defaultValue: "20",
            summary: "A request that makes no progress for this long is cut and retried (a stalled link)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.readTimeoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "sync.tls.certificate", kind: .string, defaultValue: "",
            summary: "PEM certificate (chain) the box presents to the platform (mutual TLS); needed for an https hub URL."
        ) { configuration, value throws(ConfigurationError) in
            configuration.syncTLSCertificate = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.tls.privateKey", kind: .string, defaultValue: "",
            summary: "PEM private key of `sync.tls.certificate`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.syncTLSPrivateKey = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.tls.trustedCA", kind: .string, defaultValue: "",
            summary: "PEM CA certificate: the only authority whose platform certificates the box accepts (TLS 1.2 or later)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.syncTLSTrustedCA = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.losslessUploads", kind: .boolean, defaultValue: "true",
            summary: "Upload a DICOM instance to the platform re-encoded losslessly when that is smaller: JPEG-LS pixels (uncompressed or losslessly compressed grayscale) or the data set deflated. Read back before it is sent (same attributes, same decoded pixels); the key stays the original's. The PACS gets originals."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.losslessUploads = try value.boolean()
        },
        ConfigurationKey(
            name: "sync.tls.certificateRequest", kind: .string, defaultValue: "",
            summary: "PEM certificate request made at first boot with `sync.tls.privateKey` (`/data/device/tls/device.csr`; its CN must be `sync.deviceID`). With `sync.enrolmentToken` and no file at `sync.tls.certificate` yet, sync enrols: the hub signs the request and the box writes the certificate there, then uses mutual TLS without a restart."
        ) { configuration, value throws(ConfigurationError) in
            configuration.syncTLSCertificateRequest = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.enrolmentToken", kind: .string, defaultValue: "",
            summary: "One-time enrolment token from the operator (`fluorobox-hub enrolment create`); used only while the box has no certificate. Needs `sync.tls.*` and `sync.tls.certificateRequest`. Failures are logged and retried with backoff."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.enrolmentToken = try value.optionalText()
        },
        ConfigurationKey(
            name: "sync.pseudonymise", kind: .boolean, defaultValue: "false",
            summary: "Upload DICOM instances to the platform as pseudonymised copies: PS3.15 basic profile (Retain UIDs), Patient Name and ID replaced by HMAC-SHA256 of the Patient ID under a device key kept in keys/pseudonym.key. The original stays on the box; the PACS gets originals."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.pseudonymise = try value.boolean()
        },
        ConfigurationKey(
            name: "sync.modelUpdateIntervalSeconds", kind: .number, defaultValue: "3600",
            summary: "How often the platform's model catalog is polled; a newer package is downloaded (resumably), verified (signature, pins), reference-checked on the runtime and activated between studies. 0 turns model updates off."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.modelUpdateIntervalSeconds = try value.nonNegative()
        },
        ConfigurationKey(
            name: "sync.screeningListIntervalSeconds", kind: .number, defaultValue: "600",
            summary: "How often the platform's list of people due for screening at the box's institution is fetched (an unchanged list costs a 304); its entries due within `dicom.worklistDays` are modality worklist items under the hub's accessions. 0 turns the list off (the held one stays)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.screeningListIntervalSeconds = try value.nonNegative()
        },
        ConfigurationKey(
            name: "sync.heartbeatIntervalSeconds", kind: .number, defaultValue: "300",
            summary: "How often the box sends the platform its heartbeat: agent and model versions, backlog per destination, free disk and days of capacity, clock skew, latest errors. A failed heartbeat is tried again after a minute, doubling up to the interval; it never holds up anything else. 0 turns heartbeats off."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.heartbeatIntervalSeconds = try value.nonNegative()
        },
        ConfigurationKey(
            name: "sync.dimse.commitment", kind: .stringList, defaultValue: "",
            summary: "AE titles of `dimse:AE_TITLE` destinations asked for storage commitment after each C-STORE: an instance counts as sent only once the peer's report lists it. A peer that does not accept the Storage Commitment Push Model gets instances counted as sent on C-STORE success (the status says which)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.dimse.commitmentPeers = Set(try value.list())
        },
        ConfigurationKey(
            name: "sync.dimse.commitmentWaitSeconds", kind: .number, defaultValue: "30",
            summary: "How long the box waits for a storage commitment report on the association it stored on; without one the instance waits as stored, not committed (shown in the outbox counts)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.dimse.commitmentWaitSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "sync.dimse.commitmentTimeoutSeconds", kind: .number, defaultValue: "3600",
            summary: "An instance stored at a `dimse` destination whose storage commitment has not come this long after it was requested is sent again and its commitment requested anew."
        ) { configuration, value throws(ConfigurationError) in
            configuration.sync.dimse.commitmentTimeoutSeconds = try value.positive()
        },
    ]
}
