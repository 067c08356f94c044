import Analysis
import Foundation
import Inference
import Logging
import StudyStore

extension AnalysisRunner {
    /// Runs the task's shadow package on an image whose active result is recorded already, with
    /// the same isolation (a worker process per image), and records what it found beside the
    /// active model's findings in `shadowRun` only: no result, overlay (the worker draws none),
    /// Structured Report or outbox item. A failure is logged and recorded there; it
    /// never touches the active analysis. Blocking, like ``run(_:)``. `self.analyzer` is the
    /// shadow's; nil when nothing was recorded (the active model skipped the image).
    @discardableResult
    func runShadow(_ claimed: ClaimedAnalysis, activeResult: ResultRecord) -> ShadowRunRecord? {
        let active = Self.report(of: activeResult)
        // An image the active model skipped as unreadable has nothing to compare.
        guard active?.status != .skipped else { return nil }
        let started = ContinuousClock.now
        let answer = read(claimed, drawsOverlay: false)
        let milliseconds = (ContinuousClock.now - started).inMilliseconds
        let package = analyzer.package
        var run = shadowRun(claimed, active: active, package: package.reference, packageSHA256: package.packageSHA256)
        run.milliseconds = milliseconds
        switch answer {
        case .success(let response):
            if let report = response.report {
                let findings = report.findings.map { finding in
                    let other = active?.findings.first { $0.id == finding.id }
                    return ShadowRunRecord.Finding(
                        id: finding.id, probability: finding.probability, threshold: finding.threshold, flagged: finding.flaggedForReview,
                        activeFlagged: other?.flaggedForReview, activeProbability: other?.probability
                    )
                }
                run.status = .done
                run.flagged = findings.contains(where: \.flagged)
                run.findings = (try? JSONEncoder().encode(findings)).map { String(decoding: $0, as: UTF8.self) }
            } else {
                run.error = response.failure ?? "the shadow analysis gave no report"
            }
        case .failure(let failure):
            run.error = failure.reason
        }
        return record(run)
    }

    /// Records that the designated shadow package could not read the image at all (it does
    /// not verify or load), so the agreement counts the images it missed.
    @discardableResult
    func recordUnusableShadow(_ claimed: ClaimedAnalysis, activeResult: ResultRecord, designation: ShadowDesignation, reason: String) -> ShadowRunRecord? {
        let active = Self.report(of: activeResult)
        guard active?.status != .skipped else { return nil }
        var run = shadowRun(claimed, active: active, package: designation.package, packageSHA256: designation.packageSHA256)
        run.error = reason
        return record(run)
    }

    /// The active model's report as recorded (nil only if it cannot be read back).
    private static func report(of result: ResultRecord) -> AnalysisReport? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(AnalysisReport.self, from: Data(result.report.utf8))
    }

    /// A failed run of `package` on the claimed image until the outcome says otherwise; the
    /// active model is named as its recorded report names it.
    private func shadowRun(_ claimed: ClaimedAnalysis, active: AnalysisReport?, package: PackageReference, packageSHA256: String) -> ShadowRunRecord {
        ShadowRunRecord(
            analysisID: claimed.analysis.id!, instanceID: claimed.instance.id!, task: claimed.analysis.task,
            activeModelID: active?.model.id ?? "unknown", activeModelVersion: active?.model.version ?? "unknown",
            shadowModelID: package.id, shadowModelVersion: package.version, shadowPackageSHA256: packageSHA256,
            status: .failed, flagged: nil, findings: nil, milliseconds: nil, error: nil, ranAt: Date()
        )
    }

    private func record(_ run: ShadowRunRecord) -> ShadowRunRecord? {
        let metadata: Logger.Metadata = [
            "task": "\(run.task)", "instance": "\(run.instanceID)", "shadow": "\(run.shadowModelID)@\(run.shadowModelVersion)",
        ]
        if let error = run.error {
            logger.warning("shadow run failed; the active result stands", metadata: metadata.merging(["reason": "\(error)"]) { $1 })
        } else {
            logger.info("shadow run recorded", metadata: metadata.merging(["flagged": "\(run.flagged ?? false)"]) { $1 })
        }
        do {
            try store.recordShadowRun(run)
            return run
        } catch {
            logger.error("cannot record the shadow run", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return nil
        }
    }
}
