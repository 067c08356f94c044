import Analysis
import Inference
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Reads every image the box takes in, in the background: takes the oldest pending analysis,
/// runs it with the task's active model package off the cooperative pool (the listener and
/// intake keep answering meanwhile), and records result, overlay and outbox items.
///
/// The active package is looked up before each image, so `fluorobox model activate` or a
/// rollback takes effect between studies; while the task has no usable package, images wait.
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
        let store = self.store, task = settings.task
        do {
            let pending = try await BlockingIO.run { try store.analysisCounts(tasks: [task])[.pending] ?? 0 }
            guard pending > 0 else { return false }
        } catch {
            logger.error("cannot read the analysis queue", metadata: ["error": "\(error)"])
            return false
        }
        guard let analyzer = await loader.analyzer(packagesDirectory: packagesDirectory, packageSettings: packageSettings) else {
            return false
        }
        let runner = AnalysisRunner(store: store, analyzer: analyzer, settings: settings, trustedKeys: packageSettings.trustedKeys, logger: logger)
        do {
            return try await BlockingIO.run { () -> Bool in
                guard let claimed = try store.claimNextAnalysis(tasks: [task]) else { return false }
                _ = runner.run(claimed)
                return true
            }
        } catch {
            logger.error("cannot take an analysis from the queue", metadata: ["error": "\(error)"])
            return false
        }
    }
}

/// The analyzer of the task's active package, kept while the package stays active (loading
/// a model packs its weights once; that is not repeated per image).
actor AnalyzerCache {
    private enum State {
        case none
        case loaded(packageSHA256: String, ImageAnalyzer)
        case unusable(reason: String)
    }

    private var state: State = .none
    let settings: AnalysisSettings
    let logger: Logger

    init(settings: AnalysisSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    func analyzer(packagesDirectory: String, packageSettings: ModelPackageSettings) async -> ImageAnalyzer? {
        let task = settings.task, threads = settings.threads, logger = self.logger
        do {
            let package = try await ModelPackageStore.withStore(
                folder: packagesDirectory, settings: packageSettings, logger: logger, create: false
            ) { try await $0.loadActive(task: task) }
            if case .loaded(let sha, let analyzer) = state, sha == package.packageSHA256 { return analyzer }
            let analyzer = try await BlockingIO.run { try ImageAnalyzer(package: package, threads: threads, logger: logger) }
            state = .loaded(packageSHA256: package.packageSHA256, analyzer)
            logger.notice("model loaded for analysis", metadata: [
                "task": "\(task)", "model": "\(package.manifest.id)@\(package.manifest.version)", "threads": "\(threads)",
            ])
            return analyzer
        } catch {
            let reason = "\(error)"
            if case .unusable(let previous) = state, previous == reason { return nil }
            state = .unusable(reason: reason)
            logger.warning("images wait for analysis: no usable model for the task", metadata: ["task": "\(task)", "reason": "\(reason)"])
            return nil
        }
    }
}
