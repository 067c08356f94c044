import Analysis
import Foundation
import Inference
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Reads every image the box takes in, in the background: takes the oldest pending analysis,
/// runs it with its task's active model package off the cooperative pool (the listener and
/// intake keep answering meanwhile), and records result, overlay and outbox items.
///
/// Every task with an active package reads the images (``AnalysisSettings/everyActiveTask``):
/// each analysis is its own row, result and outbox item with its own model's provenance. The
/// configured task (``AnalysisSettings/task``) is queued when an image is taken in; another
/// task is queued here for the images taken in since its package was activated, so a task
/// installed later reads new images and leaves the older ones alone.
///
/// A task's shadow package (``ShadowDesignation``) reads each image after the active result is
/// recorded, in its own worker process; what it finds goes to `shadowRun` only.
///
/// The active packages are looked up before each image, so `fluorobox model activate` or a
/// rollback takes effect between studies; while a task has no usable package (none active, or
/// one that does not verify or load), its images wait and the other tasks go on.
public struct AnalysisService: Service {
    public static let name = "analysis"

    let settings: AnalysisSettings
    let store: StudyStore
    let packagesDirectory: String
    let packageSettings: ModelPackageSettings
    let gate: ReadinessGate
    let logger: Logger

    public init(
        settings: AnalysisSettings, store: StudyStore, packagesDirectory: String, packageSettings: ModelPackageSettings,
        gate: ReadinessGate, logger: Logger
    ) {
        self.settings = settings
        self.store = store
        self.packagesDirectory = packagesDirectory
        self.packageSettings = packageSettings
        self.gate = gate
        self.logger = logger
    }

    public func run() async throws {
        await gate.ready(Self.name)
        let loader = AnalyzerCache(settings: settings, logger: logger)
        // Said once at start: the worker processes that draw the overlays log where nobody reads.
        _ = loader.overlay.font?.usableFace(for: settings.legendLanguage)
        try? await cancelWhenGracefulShutdown {
            while true {
                let worked = await runOnce(loader: loader)
                if !worked { try await Task.sleep(for: .seconds(settings.pollSeconds)) }
            }
        }
    }

    /// One step: true when an analysis was run (look again at once), false when there was
    /// nothing to do or nothing to do it with.
    func runOnce(loader: AnalyzerCache) async -> Bool {
        let store = self.store
        let tasks = await activeTasks()
        if settings.everyActiveTask {
            for (task, activatedAt) in tasks where task != settings.task {
                await loader.queueNewImages(task: task, activatedAt: activatedAt, store: store)
            }
        }
        let pending: [String: Int]
        do {
            pending = try await BlockingIO.run { try store.pendingAnalysesByTask() }
        } catch {
            logger.error("cannot read the analysis queue", metadata: ["error": "\(error)"])
            return false
        }
        let runnable = Set(settings.everyActiveTask ? Array(tasks.keys) + [settings.task] : [settings.task])
        var analyzers: [String: ImageAnalyzer] = [:]
        for task in runnable.sorted() where (pending[task] ?? 0) > 0 {
            if let analyzer = await loader.analyzer(task: task, packagesDirectory: packagesDirectory, packageSettings: packageSettings) {
                analyzers[task] = analyzer
            }
        }
        guard !analyzers.isEmpty else { return false }
        var shadows: [String: ShadowPackage] = [:]
        for task in analyzers.keys.sorted() {
            shadows[task] = await loader.shadow(task: task, packagesDirectory: packagesDirectory, packageSettings: packageSettings)
        }
        let settings = self.settings, trustedKeys = packageSettings.trustedKeys, logger = self.logger, ready = analyzers, shadowing = shadows
        do {
            return try await BlockingIO.run { () -> Bool in
                guard let claimed = try store.claimNextAnalysis(tasks: ready.keys.sorted()),
                      let analyzer = ready[claimed.analysis.task] else { return false }
                let outcome = AnalysisRunner(store: store, analyzer: analyzer, settings: settings, trustedKeys: trustedKeys, logger: logger).run(claimed)
                // The shadow reads the image only once the active result is committed.
                guard case .recorded(let result) = outcome, let shadow = shadowing[claimed.analysis.task] else { return true }
                switch shadow {
                case .ready(let shadowAnalyzer):
                    AnalysisRunner(store: store, analyzer: shadowAnalyzer, settings: settings, trustedKeys: trustedKeys, logger: logger)
                        .runShadow(claimed, activeResult: result)
                case .unusable(let designation, let reason):
                    AnalysisRunner(store: store, analyzer: analyzer, settings: settings, trustedKeys: trustedKeys, logger: logger)
                        .recordUnusableShadow(claimed, activeResult: result, designation: designation, reason: reason)
                }
                return true
            }
        } catch {
            logger.error("cannot take an analysis from the queue", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The tasks with an active package (recorded or pinned) and when each was activated (nil
    /// for a pinned one: the service counts from when it first sees it); none while the
    /// packages folder cannot be read.
    func activeTasks() async -> [String: Date?] {
        let pinned = packageSettings.pinnedActive.keys
        let records = try? await ModelPackageStore.withStore(
            folder: packagesDirectory, settings: packageSettings, logger: logger, create: false
        ) { try await $0.activations() }
        var tasks: [String: Date?] = [:]
        let parser = ISO8601DateFormatter()
        for record in records ?? [] {
            tasks[record.task] = parser.date(from: record.changedAt)
        }
        for task in pinned where tasks[task] == nil { tasks[task] = .some(nil) }
        return tasks
    }
}
