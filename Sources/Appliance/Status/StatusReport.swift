import Foundation
import Inference
import Logging
import Panel
import POSIXSupport
import StudyStore
import Sync
import USBCapture

/// Everything `fluorobox status` shows: the agent, the store, and the runtime components.
public struct StatusReport: Sendable, Codable {
    public struct AgentSummary: Sendable, Codable {
        /// True when a `fluorobox serve` holds the data folder's agent lock.
        public var running: Bool
        public var pid: Int32?
        /// `starting`, `ready` or `stopped`, from run/agent.json.
        public var state: String?
        public var startedAt: Date?
        public var readyAt: Date?
        public var listeners: [String: Int]
    }

    public struct ShadowSummary: Sendable, Codable {
        public var designation: ShadowDesignation
        /// Per active package it ran beside; `day` is the first day counted.
        public var agreements: [ShadowAgreement]
    }

    public var generatedAt: Date
    public var version: String
    public var dataDirectory: String
    public var agent: AgentSummary
    public var store: StoreStatus
    /// Versions and availability of the libraries the box depends on.
    public var components: [String: String]
    /// The USB capture link as the running agent last wrote it (nil: no capture configured or
    /// the agent is not running).
    public var usbLink: USBLinkState?
    /// The active model package per task; nil when the packages folder could not be read
    /// (``modelsProblem`` says why).
    public var models: [ActivationRecord]?
    public var modelsProblem: String?
    /// What each active package's manifest says it may be used for (`demonstration`: its
    /// findings on real radiographs mean nothing).
    public var modelUses: [ActiveModelUse]?
    /// Each task's shadow package and its agreement so far with the active packages it ran
    /// beside (nil when the packages folder could not be read).
    public var shadows: [ShadowSummary]?
    /// What each destination's sync is doing (run/sync-*.json), when the agent runs.
    public var sync: [SyncStatus]?
    /// Load, temperature (where the board exposes it) and uptime of the box.
    public var host: HostReadings?
    /// Days until the disk's hard limit at the last week's intake rate; nil without intake.
    public var daysOfCapacity: Double?
    /// Why the box's clock cannot be right (ClockCheck), nil when it looks plausible.
    public var clockProblem: String?
    /// SHA-256 fingerprint of the panel's HTTPS certificate (panel.tlsCertificate); nil when the
    /// panel serves plain HTTP.
    public var panelCertificateSHA256: String?

    /// The agent and the store; works whether or not the agent is running.
    static func gather(store: StudyStore, agentState state: AgentStateFile.Contents?) throws -> StatusReport {
        let directory = store.directory
        let running: Bool
        if let lock = try? FileLock(path: directory.agentLockPath), (try? lock.tryLock(.exclusive)) == true {
            lock.unlock()
            running = false
        } else {
            running = true
        }
        let storeStatus = try store.status()
        return StatusReport(
            generatedAt: Date(), version: Agent.version, dataDirectory: directory.path,
            agent: AgentSummary(
                running: running, pid: running ? state?.pid : nil, state: running ? state?.state : "stopped",
                startedAt: running ? state?.startedAt : nil, readyAt: running ? state?.readyAt : nil,
                listeners: running ? state?.listeners ?? [:] : [:]
            ),
            store: storeStatus,
            components: [
                "sqlite": storeStatus.sqliteVersion,
                "libusb": USBLibrary.version,
                "xnnpack": InferenceEngine.probe().description,
            ]
        )
    }

    /// Gathers the report for a data folder, whether or not the agent is running: the agent and
    /// the store, plus the capture link, sync and the active models, which live outside the
    /// store (the run state and the packages folder). The link and sync count only while an
    /// agent holds the folder.
    public static func gather(store: StudyStore, modelPackages: ModelPackageSettings, logger: Logger) async throws -> StatusReport {
        let run = AgentRunState.read(RunStateFiles(directory: store.directory))
        var report = try gather(store: store, agentState: run.agent)
        if report.agent.running {
            report.usbLink = run.usbLink
            report.sync = run.sync
        }
        report.host = HostReadings.read()
        report.daysOfCapacity = CapacityEstimate.days(storage: report.store.storage, dailyIntakeBytes: try store.averageDailyIntakeBytes())
        report.clockProblem = AgentRunState.clockProblem(sync: report.sync ?? [])
        do {
            report.models = try await AgentRunState.activeModels(
                folder: modelPackages.resolvedDirectory(dataDirectory: store.directory.path), settings: modelPackages, logger: logger
            )
            let folder = modelPackages.resolvedDirectory(dataDirectory: store.directory.path)
            report.modelUses = try await BlockingIO.run { try ModelPackageStore.activeUses(folder: folder, settings: modelPackages) }
            report.shadows = try await AgentRunState.shadows(folder: folder, settings: modelPackages, logger: logger).map { designation in
                ShadowSummary(designation: designation, agreements: try store.shadowAgreementsSoFar(
                    shadowModel: designation.package.id, shadowVersion: designation.package.version, device: "this box"
                ))
            }
        } catch {
            report.modelsProblem = "\(error)"
        }
        return report
    }
}
