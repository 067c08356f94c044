import Analysis
import Foundation
import Inference
import Logging
import POSIXSupport
import StudyStore

/// What the analysis service keeps between steps, per task: the analyzer of the task's active
/// package while it stays active (loading a model packs its weights once; that is not repeated
/// per image), and how far new images were queued for the task.
actor AnalyzerCache {
    private enum State {
        case loaded(packageSHA256: String, ImageAnalyzer)
        case unusable(reason: String)
    }

    /// Where a task queued by the service stands: images after `lastInstanceID` were not looked at yet.
    private struct Queueing {
        var since: Date
        var lastInstanceID: Int64 = 0
    }

    private var states: [String: State] = [:]
    /// The same per task for its shadow package.
    private var shadowStates: [String: State] = [:]
    private var queueing: [String: Queueing] = [:]
    let settings: AnalysisSettings
    let logger: Logger
    /// One for every analyzer, so a font that cannot be used is logged once.
    let overlay: OverlayRenderer

    init(settings: AnalysisSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        overlay = OverlayRenderer(language: settings.legendLanguage, font: LegendFont(path: settings.overlayFontPath, logger: logger))
    }

    /// The analyzer of `task`'s active package, or nil (logged once per reason) while the task
    /// has no usable one.
    func analyzer(task: String, packagesDirectory: String, packageSettings: ModelPackageSettings) async -> ImageAnalyzer? {
        do {
            let package = try await ModelPackageStore.withStore(
                folder: packagesDirectory, settings: packageSettings, logger: logger, create: false
            ) { try await $0.loadActive(task: task) }
            let analyzer = try await loaded(package, reusing: states[task], role: "analysis")
            states[task] = .loaded(packageSHA256: package.packageSHA256, analyzer)
            return analyzer
        } catch {
            let reason = "\(error)"
            if case .unusable(let previous) = states[task], previous == reason { return nil }
            states[task] = .unusable(reason: reason)
            logger.warning("images wait for analysis: no usable model for the task", metadata: ["task": "\(task)", "reason": "\(reason)"])
            return nil
        }
    }

    /// What the task's shadow package is to do with the next image: nothing (none designated),
    /// run, or be recorded as unusable (it does not verify or load; logged once per reason). The
    /// active analysis never waits for it.
    func shadow(task: String, packagesDirectory: String, packageSettings: ModelPackageSettings) async -> ShadowPackage? {
        // One opening of the store per image: the designation, and its package verified.
        let found: (designation: ShadowDesignation, package: Result<VerifiedModelPackage?, any Error>)?
        do {
            found = try await ModelPackageStore.withStore(
                folder: packagesDirectory, settings: packageSettings, logger: logger, create: false
            ) { store in
                guard let designation = try await store.shadows().first(where: { $0.task == task }) else { return nil }
                do {
                    return (designation, .success(try await store.loadShadow(task: task)))
                } catch {
                    return (designation, .failure(error))
                }
            }
        } catch {
            // No packages folder to read: there is no active package either, nothing runs.
            return nil
        }
        guard let found else {
            shadowStates[task] = nil
            return nil
        }
        let (designation, loading) = found
        do {
            guard let package = try loading.get() else { return nil }
            let analyzer = try await loaded(package, reusing: shadowStates[task], role: "shadow runs")
            shadowStates[task] = .loaded(packageSHA256: package.packageSHA256, analyzer)
            return .ready(analyzer)
        } catch {
            let reason = "\(error)"
            if case .unusable(let previous) = shadowStates[task], previous == reason {} else {
                shadowStates[task] = .unusable(reason: reason)
                logger.warning("the shadow package cannot run; the active results go on", metadata: [
                    "task": "\(task)", "package": "\(designation.package)", "reason": "\(reason)",
                ])
            }
            return .unusable(designation, reason: reason)
        }
    }

    /// The analyzer of `package`: the one in `state` while the package hash is the same, else loaded now.
    private func loaded(_ package: VerifiedModelPackage, reusing state: State?, role: String) async throws -> ImageAnalyzer {
        if case .loaded(let sha, let analyzer)? = state, sha == package.packageSHA256 { return analyzer }
        let threads = settings.threads, logger = self.logger, overlay = self.overlay
        let analyzer = try await BlockingIO.run { try ImageAnalyzer(package: package, threads: threads, overlay: overlay, logger: logger) }
        logger.notice("model loaded for \(role)", metadata: [
            "task": "\(package.manifest.task)", "model": "\(package.manifest.id)@\(package.manifest.version)", "threads": "\(threads)",
        ])
        return analyzer
    }

    /// Queues `task` for the images taken in since it was activated (`activatedAt`; nil: since
    /// this service first saw it) that do not have it yet. Each image is looked at once per run
    /// of the service; after a restart the store's check keeps it from being queued twice.
    func queueNewImages(task: String, activatedAt: Date?, store: StudyStore) async {
        var state = queueing[task] ?? Queueing(since: activatedAt ?? Date())
        if let activatedAt, activatedAt != state.since { state.since = activatedAt }
        let current = state
        do {
            let (queued, last) = try await BlockingIO.run {
                try store.queueAnalyses(task: task, receivedSince: current.since, afterInstanceID: current.lastInstanceID)
            }
            state.lastInstanceID = last
            if queued > 0 { logger.info("images queued for the task", metadata: ["task": "\(task)", "images": "\(queued)"]) }
        } catch {
            logger.error("cannot queue new images for the task", metadata: ["task": "\(task)", "error": "\(error)"])
        }
        queueing[task] = state
    }
}
