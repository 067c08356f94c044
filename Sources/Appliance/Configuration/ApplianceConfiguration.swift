import Analysis
import Inference
import Panel
import StudyStore
import Sync

/// Everything the agent can be told, with the defaults a box runs on when told nothing.
///
/// Read with ``ApplianceConfiguration/load(file:environment:)``; every key is listed, with its
/// environment variable and default, in ``ConfigurationKey/all`` (and docs/configuration.md).
public struct ApplianceConfiguration: Sendable, Hashable {
    /// Where the store, blobs and run files live.
    public var dataDirectory: String = "/var/lib/fluorobox"
    /// swift-log level name: trace, debug, info, notice, warning, error or critical.
    public var logLevel: String = "info"
    /// The box's language: what it writes into images (the overlay's legend) is in it.
    public var language: LegendLanguage = .en
    /// Destinations every intake is queued for.
    public var destinations: [Destination] = [.platform]
    public var retention = RetentionPolicy()
    /// Seconds between retention passes (soft-limit eviction and warnings).
    public var retentionCheckIntervalSeconds: Double = 60
    /// Seconds a store writer waits for another process's transaction.
    public var storeBusyTimeoutSeconds: Double = 30
    public var watch = WatchFolder()
    public var usb = USBCaptureSettings()
    /// Model packages: folder, trusted keys, pinned active packages.
    public var modelPackages = ModelPackageSettings()
    public var dicom = DICOMListenerSettings()
    public var analysis = AnalysisSettings()
    /// The status panel (web) and its login rules.
    public var panel = PanelSettings()
    /// Sync to the platform; TLS files are combined into `sync.tls` by ``effectiveSync``.
    public var sync = SyncSettings()
    public var os = OSUpdateSettings()
    public var syncTLSCertificate: String?
    public var syncTLSPrivateKey: String?
    public var syncTLSTrustedCA: String?
    public var syncTLSCertificateRequest: String?

    public init() {}

    /// The watched export folder (a share or a mounted USB stick).
    public struct WatchFolder: Sendable, Hashable {
        /// Nil turns the watcher off.
        public var folder: String?
        public var intervalSeconds: Double = 2
        /// A file must be unchanged for this long (and across two scans) before it is read,
        /// so a copy still in progress is not taken.
        public var settleSeconds: Double = 2
        public var afterImport: AfterImport = .move
        /// Where `move` puts imported files; nil means "imported" inside the watched folder.
        public var movedTo: String?

        public init() {}

        /// The folder imported files move to.
        public var effectiveMovedTo: String? {
            guard let folder else { return nil }
            return movedTo ?? folder + "/imported"
        }
    }

    /// What happens to a watched file once the store has acknowledged it.
    public enum AfterImport: String, Sendable, Hashable, CaseIterable {
        /// Move it to `watch.movedTo` (the technician sees what was taken).
        case move
        /// Delete it.
        case delete
        /// Leave it; the watcher remembers it until the agent restarts, and the store deduplicates.
        case keep
    }

    /// The folder installed model packages live in.
    /// The analyses every intake path queues for a new image.
    public var queuedAnalyses: [String] {
        analysis.enabled ? [analysis.task] : []
    }

    public var modelPackagesDirectory: String {
        modelPackages.resolvedDirectory(dataDirectory: dataDirectory)
    }

    /// The store settings these values imply.
    public var storeConfiguration: StoreConfiguration {
        StoreConfiguration(
            dataDirectory: DataDirectory(path: dataDirectory),
            destinations: destinations,
            retention: retention,
            busyTimeoutSeconds: storeBusyTimeoutSeconds,
            analysisAttemptLimit: analysis.maxAttempts
        )
    }
}
