import Analysis
import ArgumentParser
import DICOM
import Foundation
import Imaging
import Inference
import POSIXSupport

/// `fluorobox analyze FILE...`: the box's reading of images, without the agent or the store.
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Read images with the active model: quality check, findings flagged for review, overlay JPEG.",
        discussion: """
            Takes DICOM and JPEG files. Prints a short report per file (or the JSON reports with --json) and \
            writes FILE.overlay.jpg and FILE.report.json next to each file or into --out-dir. Uses the active \
            package of every task that has one (see `fluorobox model list`), of the --task given, or --package; \
            with several tasks each file gets a report per task (FILE.TASK.overlay.jpg, FILE.TASK.report.json) and \
            its time per task. Exits 1 if any file could not be analysed.
            """
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "Images to analyse.")
    var files: [String]

    @Flag(name: .long, help: "Print the JSON reports.")
    var json = false

    @Option(name: .long, help: "Folder for the overlays and reports (default: beside each file).")
    var outDir: String?

    @Option(name: .long, help: "A model package folder to use instead of the active one (verified against the trusted keys).")
    var package: String?

    @Option(name: .long, help: "A task whose active package reads the images (repeat for several; default: every task with an active package).")
    var task: [String] = []

    @Option(name: .long, help: "Threads for the model.")
    var threads = 1

    func run() async throws {
        let configuration = try common.loadConfiguration()
        let logger = common.bootstrapLogging(level: nil)
        let packages: [VerifiedModelPackage]
        do {
            if let package {
                packages = [try ModelPackageVerifier(trustedKeys: configuration.modelPackages.trustedKeys).verify(directory: package)]
            } else {
                let chosen = self.task
                guard FileManager.default.fileExists(atPath: configuration.modelPackagesDirectory) else {
                    throw ReportedFailure(description: "no model is installed (fluorobox model install / activate, or --package DIR)")
                }
                packages = try await ModelPackageStore.withStore(
                    folder: configuration.modelPackagesDirectory, settings: configuration.modelPackages, logger: logger, create: false
                ) { store in
                    let tasks = chosen.isEmpty ? Set(try await store.activations().map(\.task)).sorted() : chosen
                    guard !tasks.isEmpty else {
                        throw ReportedFailure(description: "no task has an active package (fluorobox model activate ID@VERSION, or --package DIR)")
                    }
                    var loaded: [VerifiedModelPackage] = []
                    for task in tasks { loaded.append(try await store.loadActive(task: task)) }
                    return loaded
                }
            }
        } catch let error as ModelPackageError {
            throw ReportedFailure(description: "cannot use the model package: \(error)")
        }
        let analyzers: [ImageAnalyzer]
        do {
            let overlay = OverlayRenderer(language: configuration.language, font: LegendFont(path: configuration.analysis.overlayFontPath, logger: logger))
            analyzers = try packages.map { try ImageAnalyzer(package: $0, threads: threads, overlay: overlay, logger: logger) }
        } catch {
            throw ReportedFailure(description: "\(error)")
        }
        var failures = 0
        var reports: [AnalysisReport] = []
        for file in files {
            for analyzer in analyzers {
                let task = analyzer.package.manifest.task
                do {
                    let result = try analyze(file, with: analyzer, suffix: analyzers.count > 1 ? "." + task : "")
                    reports.append(result.report)
                    if !json { print((analyzers.count > 1 ? "[\(task)] " : "") + Self.text(result.report, file: file)) }
                } catch {
                    failures += 1
                    printError("FAILED  \(file) (\(task)): \(error)")
                }
            }
        }
        if json {
            print(String(decoding: try JSONEncoder.indented().encode(reports), as: UTF8.self))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Reads one file with one task's analyzer; its overlay and report go to FILE`suffix`.overlay.jpg and .report.json.
    private func analyze(_ file: String, with analyzer: ImageAnalyzer, suffix: String) throws -> ImageAnalyzer.Result {
        let started = ContinuousClock.now
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw ReportedFailure(description: "cannot read the file (\(error.localizedDescription))")
        }
        let input = try AnalysisInput(decoding: bytes)
        let elapsed = ContinuousClock.now - started
        let decode = elapsed.inMilliseconds
        let result = try analyzer.analyze(
            image: input.image, sourceBytes: bytes, file: file, studyInstanceUID: input.studyInstanceUID,
            sopInstanceUID: input.sopInstanceUID, decodeMilliseconds: decode
        )
        let base: String
        if let outDir {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            base = outDir + "/" + URL(fileURLWithPath: file).lastPathComponent + suffix
        } else {
            base = file + suffix
        }
        if let overlay = result.overlayJPEG {
            try Data(overlay).write(to: URL(fileURLWithPath: base + ".overlay.jpg"), options: .atomic)
        }
        try result.report.json().write(to: URL(fileURLWithPath: base + ".report.json"), options: .atomic)
        return result
    }

    static func text(_ report: AnalysisReport, file: String) -> String {
        var lines = ["\(file): \(report.summary)"]
        if report.quality.problems.isEmpty {
            lines.append("  quality: acceptable")
        }
        for problem in report.quality.problems {
            lines.append("  quality: \(problem.message) \(problem.advice)")
        }
        for finding in report.findings {
            lines.append(String(format: "  %@ %.2f (threshold %.2f)%@%@", finding.display, finding.probability, finding.threshold,
                                finding.flaggedForReview ? " flagged for review" : "", report.isDemonstration ? " [DEMONSTRATION]" : ""))
        }
        if report.isDemonstration { lines.append("  " + AnalysisReport.demonstrationNotice) }
        lines.append(String(format: "  model %@@%@, %.0f ms (decode %.0f, quality %.0f, inference %.0f, overlay %.0f)", report.model.id, report.model.version,
                            report.timings.totalMilliseconds, report.timings.decodeMilliseconds, report.timings.qualityMilliseconds,
                            report.timings.inferenceMilliseconds, report.timings.overlayMilliseconds))
        return lines.joined(separator: "\n")
    }
}
