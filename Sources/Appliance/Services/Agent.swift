import BrowserAccess
import Logging
import Panel
import POSIXSupport
import ServiceLifecycle
import StudyStore
import Sync
import UnixSignals

/// The box's main job (`fluorobox serve`): owns the data folder, recovers the store, then runs
/// every long-running part in one ServiceGroup that shuts down gracefully on SIGTERM and SIGINT.
public struct Agent: Sendable {
    public static let version = "0.1.0"

    public let configuration: ApplianceConfiguration
    public let environment: [String: String]
    public let logger: Logger

    public init(configuration: ApplianceConfiguration, environment: [String: String], logger: Logger) {
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
    }

    public func run() async throws {
        let directory = DataDirectory(path: configuration.dataDirectory)
        let agentLock = try Self.takeOwnership(of: directory)
        defer { agentLock.unlock() }

        let store = try StudyStore.open(configuration.storeConfiguration, logger: logger)
        let report = try await BlockingIO.run { try store.recover() }
        if report.storeDamaged {
            let reason = "the database failed quick_check (\(report.quickCheck.prefix(2).joined(separator: "; "))); back up \(directory.path) and contact service"
            store.suspendIntake(reason: reason)
            logger.critical("store damaged: intake suspended", metadata: ["reason": "\(reason)"])
        }

        // The panel's restart button stops the group; a fresh one is run in this process (new
        // services, readiness and agent.json; the same store, lock and panel sessions).
        let groupForRestart = ServiceGroupReference()
        let panelSessions = SessionStore<PanelRole>(settings: configuration.panel)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let stopWatcher = Task {
            for await _ in signals { await groupForRestart.requestStop() }
        }
        defer { stopWatcher.cancel() }
        repeat {
            try await runServices(store: store, directory: directory, groupForRestart: groupForRestart, panelSessions: panelSessions)
            if groupForRestart.isRestarting { logger.notice("agent services stopped for a restart; starting them again") }
        } while groupForRestart.takeRestartRequest()
        logger.notice("agent stopped")
    }

    /// Every long-running part in one ServiceGroup, until it stops (SIGTERM, a failure, a restart).
    private func runServices(
        store: StudyStore, directory: DataDirectory, groupForRestart: ServiceGroupReference, panelSessions: SessionStore<PanelRole>
    ) async throws {
        let agentState = AgentStateFile(directory: directory, version: Self.version)
        let activity = IntakeActivity()
        let analyses = configuration.queuedAnalyses
        let intake = FileIntake(store: store, analyses: analyses)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var expected: Set<String> = [StoreMaintenanceService.name]
        if configuration.watch.folder != nil { expected.insert(FolderWatchService.name) }
        if configuration.usb.enabled { expected.insert(USBCaptureService.name) }
        if configuration.dicom.enabled { expected.insert(DICOMListenerService.name) }
        if configuration.analysis.enabled { expected.insert(AnalysisService.name) }
        let syncSettings = try configuration.effectiveSync()
        if syncSettings.hubURL != nil { expected.insert(SyncService.platformName) }
        if syncSettings.dicomwebURL != nil { expected.insert(SyncService.dicomwebName) }
        let dimsePeers = try configuration.dimsePeers()
        for peer in dimsePeers { expected.insert(SyncService.dimseName(peer)) }
        let gate = ReadinessGate(expecting: expected)
        services.append(.agentService(
            StoreMaintenanceService(
                store: store, interval: .seconds(configuration.retentionCheckIntervalSeconds), gate: gate,
                logger: logger.labelled("maintenance")
            ),
            named: StoreMaintenanceService.name
        ))
        if configuration.watch.folder != nil {
            services.append(.agentService(
                FolderWatchService(settings: configuration.watch, intake: intake, gate: gate, logger: logger.labelled("folder-watch")),
                named: FolderWatchService.name
            ))
        }
        if configuration.usb.enabled {
            services.append(.agentService(
                USBCaptureService(
                    settings: configuration.usb,
                    recorder: USBCaptureRecorder(
                        store: store, modality: configuration.usb.modality, analyses: analyses, logger: logger.labelled("usb-capture")
                    ),
                    gate: gate, runState: RunStateFiles(directory: directory), logger: logger.labelled("usb-capture")
                ),
                named: USBCaptureService.name
            ))
        }
        if configuration.dicom.enabled {
            services.append(.agentService(
                DICOMListenerService(
                    settings: configuration.dicom, store: store, analyses: analyses, gate: gate, agentState: agentState,
                    activity: activity, logger: logger.labelled("dicom")
                ),
                named: DICOMListenerService.name
            ))
        }
        if configuration.analysis.enabled {
            var analysisSettings = configuration.analysis
            analysisSettings.deviceName = configuration.sync.deviceID
            analysisSettings.legendLanguage = configuration.language
            services.append(.agentService(
                AnalysisService(
                    settings: analysisSettings, store: store, packagesDirectory: configuration.modelPackagesDirectory,
                    packageSettings: configuration.modelPackages, gate: gate, logger: logger.labelled("analysis")
                ),
                named: AnalysisService.name
            ))
        }
        if configuration.panel.enabled {
            let panelSettings = configuration.effectivePanel
            let hooks = PanelHooks.appliance(
                configuration: configuration, store: store, gate: gate, logger: logger.labelled("panel"),
                restart: { await groupForRestart.requestRestart() }
            )
            let panelLogger = logger.labelled("panel")
            services.append(.agentService(
                PanelService(
                    dataDirectory: directory.path, settings: panelSettings, logger: panelLogger,
                    makePanel: { credentials in
                        PanelApplication(store: store, settings: panelSettings, credentials: credentials, hooks: hooks, logger: panelLogger, sessions: panelSessions)
                    },
                    onServing: { port in
                        // Not part of readiness: the panel only observes, intake never waits for it.
                        agentState.setListener("panel", port: port)
                    }
                ),
                named: PanelService.name
            ))
        }
        if syncSettings.hubURL != nil {
            let platformSync = try SyncService.platform(
                store: store, settings: syncSettings, onReady: { await gate.ready(SyncService.platformName) },
                logger: logger.labelled("sync")
            )
            services.append(.agentService(platformSync, named: SyncService.platformName))
            if syncSettings.heartbeatIntervalSeconds > 0 {
                services.append(.agentService(
                    try heartbeatService(store: store, settings: syncSettings, platformSync: platformSync, logger: logger.labelled("heartbeat")),
                    named: HeartbeatService.name
                ))
            }
        }
        if syncSettings.hubURL != nil, syncSettings.modelUpdateIntervalSeconds > 0 {
            let updateLogger = logger.labelled("model-updates")
            services.append(.agentService(
                ModelUpdateService(
                    client: try PlatformClient(settings: syncSettings, counters: SyncCounters(), logger: updateLogger),
                    installer: PackageStoreModelInstaller(
                        packagesDirectory: configuration.modelPackagesDirectory, settings: configuration.modelPackages,
                        threads: configuration.analysis.threads, logger: updateLogger
                    ),
                    directory: store.directory, intervalSeconds: syncSettings.modelUpdateIntervalSeconds,
                    reportTo: store, deviceID: syncSettings.deviceID, logger: updateLogger
                ),
                named: ModelUpdateService.name
            ))
        }
        if syncSettings.hubURL != nil, syncSettings.screeningListIntervalSeconds > 0 {
            let listLogger = logger.labelled("screening-list")
            services.append(.agentService(
                ScreeningListService(
                    client: try PlatformClient(settings: syncSettings, counters: SyncCounters(), logger: listLogger), store: store,
                    intervalSeconds: syncSettings.screeningListIntervalSeconds, logger: listLogger
                ),
                named: ScreeningListService.name
            ))
        }
        if syncSettings.hubURL != nil, configuration.os.updateIntervalSeconds > 0 {
            services.append(.agentService(
                try osUpdateService(store: store, settings: syncSettings, activity: activity, logger: logger.labelled("os-updates")),
                named: OSUpdateService.name
            ))
        }
        if syncSettings.hubURL != nil {
            services.append(.agentService(
                PostMarketReportService(store: store, deviceID: syncSettings.deviceID, logger: logger.labelled("post-market")),
                named: PostMarketReportService.name
            ))
        }
        if let pacs = try SyncService.dicomweb(
            store: store, settings: syncSettings, onReady: { await gate.ready(SyncService.dicomwebName) },
            logger: logger.labelled("sync-dicomweb")
        ) {
            services.append(.agentService(pacs, named: SyncService.dicomwebName))
        }
        for peer in dimsePeers {
            let name = SyncService.dimseName(peer)
            services.append(.agentService(
                SyncService.dimse(store: store, peer: peer, settings: syncSettings, onReady: { await gate.ready(name) }, logger: logger.labelled(name)),
                named: name
            ))
        }
        services.append(.agentService(
            SystemdService(
                notifier: SystemdNotifier(environment: environment), gate: gate, store: store,
                agentState: agentState, logger: logger, isRestarting: { groupForRestart.isRestarting }
            ),
            named: "systemd"
        ))

        logger.notice(
            "agent starting",
            metadata: [
                "version": "\(Self.version)", "data_dir": "\(directory.path)",
                "pid": "\(Posix.currentProcessID)", "destinations": "\(configuration.destinations.map(\.rawValue))",
            ]
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        groupForRestart.group = group
        defer { agentState.markStopped() }
        try await group.run()
    }

    /// Takes run/agent.lock; a second agent on the same folder is refused with the first one's pid.
    static func takeOwnership(of directory: DataDirectory) throws -> FileLock {
        do {
            try directory.create()
            let lock = try FileLock(path: directory.agentLockPath)
            if try lock.tryLock(.exclusive) { return lock }
        } catch {
            throw StoreError(.fileSystem, "cannot prepare \(directory.path): \(error)", underlying: error)
        }
        let holder = RunStateFiles(directory: directory).agentState().map { " (pid \($0.pid))" } ?? ""
        throw StoreError(.alreadyRunning, "another fluorobox serve\(holder) is already using \(directory.path)")
    }
}

extension Logger {
    /// A copy of this logger with a `component` metadata value.
    func labelled(_ component: String) -> Logger {
        var copy = self
        copy[metadataKey: "component"] = "\(component)"
        return copy
    }
}
