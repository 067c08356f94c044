import Analysis
import DICOM
import Foundation
import Inference
import Logging
import POSIXSupport
import StudyStore

/// Runs one claimed analysis from the stored bytes to the recorded result. Blocking: the
/// service calls it off the cooperative pool.
///
/// The image is decoded and analysed in a worker process (``AnalysisIsolation``): what the
/// agent takes from untrusted pixels is a JSON answer, so a decoder that traps fails one
/// analysis, never the agent. The attempt was counted when the analysis was claimed.
///
/// Order matters for a power cut: the overlay Secondary Capture goes through the promise
/// first, then the result commits with a link to it. A cut between the two leaves the analysis
/// running; recovery puts it back to pending, the re-run makes the same overlay object (its
/// UIDs derive from the image and the package), and the store takes it as a duplicate. The
/// Structured Report follows the overlay the same way (its UIDs also take the time the
/// analysis was queued, which a re-run keeps).
public struct AnalysisRunner: Sendable {
    public let store: StudyStore
    public let analyzer: ImageAnalyzer
    public let settings: AnalysisSettings
    /// The keys the worker accepts the package's signature from (the agent's own).
    public let trustedKeys: [ModelPublicKey]
    public let logger: Logger

    public init(store: StudyStore, analyzer: ImageAnalyzer, settings: AnalysisSettings, trustedKeys: [ModelPublicKey], logger: Logger) {
        self.store = store
        self.analyzer = analyzer
        self.settings = settings
        self.trustedKeys = trustedKeys
        self.logger = logger
    }

    /// What became of one analysis.
    public enum Outcome: Sendable {
        case recorded(ResultRecord)
        case failed(reason: String, final: Bool)
    }

    public func run(_ claimed: ClaimedAnalysis) -> Outcome {
        let analysisID = claimed.analysis.id!
        let sop = claimed.instance.sopInstanceUID
        let started = ContinuousClock.now
        let report: AnalysisReport
        let overlayJPEG: [UInt8]?
        switch read(claimed, drawsOverlay: true) {
        case .success(let answer):
            guard let answered = answer.report else {
                return fail(analysisID, answer.failure ?? "the analysis gave no report", retryable: answer.retryable)
            }
            report = answered
            overlayJPEG = answer.overlayJPEG.map { [UInt8]($0) }
        case .failure(let failure):
            // A crash, a memory limit or a time-out: retried until the attempts run out, then
            // failed for good with this reason.
            return fail(analysisID, failure.reason, retryable: true)
        }
        var overlayInstanceID: Int64?
        if settings.secondaryCapture, let overlay = overlayJPEG {
            do {
                let capture = try OverlaySecondaryCapture(
                    overlayJPEG: overlay, width: report.source.width, height: report.source.height,
                    subject: subject(claimed),
                    report: report, softwareVersion: Agent.version
                )
                overlayInstanceID = try file(capture.part10, detail: "overlay of \(sop)").instanceID
            } catch {
                return fail(analysisID, "cannot store the overlay: \(error)", retryable: true)
            }
        }
        if settings.structuredReport {
            if let failure = storeStructuredReport(report, claimed: claimed) {
                return fail(analysisID, failure, retryable: true)
            }
        }
        if settings.presentationState {
            if let failure = storePresentationState(report, claimed: claimed) {
                return fail(analysisID, failure, retryable: true)
            }
        }
        let json: String
        do {
            json = String(decoding: try report.json(), as: UTF8.self)
        } catch {
            return fail(analysisID, "cannot encode the report: \(error)", retryable: false)
        }
        let outcome = AnalysisOutcome(report: report, text: json, overlayInstanceID: overlayInstanceID)
        do {
            let recorded = try store.completeAnalysis(id: analysisID, outcome: outcome)
            logger.notice("image analysed", metadata: [
                "task": "\(claimed.analysis.task)", "sop_instance_uid": "\(sop)", "summary": "\(report.summary)", "quality": "\(outcome.qualityVerdict.rawValue)",
                "model": "\(report.model.id)@\(report.model.version)",
                "milliseconds": "\(Int((ContinuousClock.now - started).inMilliseconds))",
            ])
            return .recorded(recorded)
        } catch {
            return fail(analysisID, "cannot record the result: \(error)", retryable: true)
        }
    }

    /// Writes the report as a Structured Report into the image's study through the same intake
    /// as the overlay; nil when stored (or when the image is no DICOM instance an SR could
    /// reference), else why not.
    private func storeStructuredReport(_ report: AnalysisReport, claimed: ClaimedAnalysis) -> String? {
        let instance = claimed.instance
        guard instance.format == .dicom, let sopClassUID = instance.sopClassUID, let seriesInstanceUID = instance.seriesInstanceUID else {
            logger.info("no Structured Report: the image is not a DICOM instance it could reference", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)"])
            return nil
        }
        do {
            let structured = try AnalysisStructuredReport(
                subject: subject(claimed), source: .init(sopClassUID: sopClassUID, seriesInstanceUID: seriesInstanceUID),
                report: report, deviceName: settings.deviceName, softwareVersion: Agent.version, contentDate: claimed.analysis.queuedAt
            )
            _ = try file(structured.part10, detail: "structured report of \(instance.sopInstanceUID)")
            return nil
        } catch {
            return "cannot store the Structured Report: \(error)"
        }
    }

    /// Writes the flagged regions as a Grayscale Softcopy Presentation State over the image into
    /// its study, through the same intake as the overlay; nil when stored (or when there is no
    /// grayscale DICOM image it could apply to, or the image was not analysed), else why not.
    private func storePresentationState(_ report: AnalysisReport, claimed: ClaimedAnalysis) -> String? {
        let instance = claimed.instance
        guard report.status == .analysed, instance.format == .dicom, let sopClassUID = instance.sopClassUID,
              let seriesInstanceUID = instance.seriesInstanceUID else {
            logger.info("no presentation state: the image is not an analysed DICOM instance it could apply to", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)"])
            return nil
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: store.directory.absolute(instance.blobPath)))
        } catch {
            return "cannot read the image for its presentation state: \(error)"
        }
        // An image this reader cannot take (the worker decoded it, under other limits) costs the
        // optional presentation state, never the analysis's result.
        let dataSet: DataSet
        do {
            dataSet = try DICOMFile(bytes: Array(bytes)).dataSet
        } catch {
            logger.warning("no presentation state: the image's attributes cannot be read", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)", "error": "\(error)"])
            return nil
        }
        guard let source = AnalysisPresentationState.SourceImage(dataSet, seriesInstanceUID: seriesInstanceUID, sopClassUID: sopClassUID) else {
            logger.info("no presentation state: the image has no grayscale pixels", metadata: ["sop_instance_uid": "\(instance.sopInstanceUID)"])
            return nil
        }
        do {
            let state = try AnalysisPresentationState(
                subject: subject(claimed), source: source, report: report, language: settings.legendLanguage,
                softwareVersion: Agent.version, contentDate: claimed.analysis.queuedAt
            )
            _ = try file(state.part10, detail: "presentation state of \(instance.sopInstanceUID)")
            return nil
        } catch {
            return "cannot store the presentation state: \(error)"
        }
    }

    /// Files an object the analysis wrote into the image's study through the store's intake:
    /// durable, then queued for every destination like any instance.
    private func file(_ part10: [UInt8], detail: String) throws -> IntakeReceipt {
        try store.ingestBlocking(.bytes(part10), origin: IntakeOrigin(source: .analysis, detail: detail), unreadable: .discard) { staged in
            try ContentDescriber.describe(staged)
        }
    }

    /// The patient and study of the claimed image, as the store has them, for the objects the analysis writes.
    private func subject(_ claimed: ClaimedAnalysis) -> OverlaySecondaryCapture.Subject {
        .init(
            studyInstanceUID: claimed.study.studyInstanceUID, sourceSOPInstanceUID: claimed.instance.sopInstanceUID,
            patientName: claimed.study.patientName, patientID: claimed.study.patientID,
            patientBirthDate: claimed.study.patientBirthDate, patientSex: claimed.study.patientSex,
            studyDate: claimed.study.studyDate, studyTime: claimed.study.studyTime,
            accessionNumber: claimed.study.accessionNumber
        )
    }

    /// Decodes and analyses the claimed image where ``AnalysisSettings/isolation`` says;
    /// `drawsOverlay` false for a reading whose overlay is not kept.
    func read(_ claimed: ClaimedAnalysis, drawsOverlay: Bool) -> Result<AnalysisWorker.Response, AnalysisWorkerProcess.Failure> {
        let request = AnalysisWorker.Request(
            imagePath: store.directory.absolute(claimed.instance.blobPath), packageDirectory: analyzer.package.directory,
            packageSHA256: analyzer.package.packageSHA256, trustedKeys: trustedKeys.map(\.text), threads: settings.threads,
            studyInstanceUID: claimed.study.studyInstanceUID, sopInstanceUID: claimed.instance.sopInstanceUID,
            memoryLimitBytes: settings.workerMemoryLimitBytes, legendLanguage: settings.legendLanguage,
            overlayFontPath: settings.overlayFontPath, drawsOverlay: drawsOverlay
        )
        switch settings.isolation {
        case .inProcess:
            return .success(AnalysisWorker.run(request, analyzer: analyzer))
        case .childProcess(let executable):
            let worker = AnalysisWorkerProcess(executable: executable ?? AnalysisWorkerProcess.runningProgram, timeoutSeconds: settings.workerTimeoutSeconds)
            return worker.run(request)
        }
    }

    private func fail(_ id: Int64, _ reason: String, retryable: Bool) -> Outcome {
        logger.warning("analysis failed", metadata: ["analysis": "\(id)", "reason": "\(reason)", "retry": "\(retryable)"])
        do {
            try store.failAnalysis(id: id, reason: reason, retryable: retryable)
        } catch {
            // The row stays running; start-up recovery returns it to the queue.
            logger.error("cannot record the failed analysis", metadata: ["analysis": "\(id)", "error": "\(error)"])
        }
        return .failed(reason: reason, final: !retryable)
    }
}
