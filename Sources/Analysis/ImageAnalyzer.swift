import Crypto
import Foundation
import Imaging
import Inference
import Logging
import POSIXSupport

/// One image through the box's reading: quality check, pre-processing, the model, findings
/// against the manifest's thresholds, a report and a colour overlay. The model stays loaded
/// across images.
public struct ImageAnalyzer: Sendable {
    public let package: VerifiedModelPackage
    private let model: InferenceModel
    private let preprocessor: ModelInputPreprocessor
    private let logger: Logger
    /// Draws the overlay, its legend in the box's language.
    public let overlay: OverlayRenderer

    /// `overlay`: nil draws the legend in English in ``LegendFont/defaultPath``.
    public init(package: VerifiedModelPackage, threads: Int = 1, overlay: OverlayRenderer? = nil, logger: Logger) throws(AnalysisError) {
        self.package = package
        self.overlay = overlay ?? OverlayRenderer(language: .en, font: LegendFont(logger: logger))
        self.logger = logger
        preprocessor = try ModelInputPreprocessor(spec: package.manifest.input)
        do {
            model = try InferenceModel(onnx: package.modelBytes, threads: threads, logger: logger)
        } catch {
            throw .unsupportedModel("\(package.reference): \(error)")
        }
        let outputs = Set(model.outputs.map(\.name))
        guard outputs.contains(package.manifest.outputs.findings.name), outputs.contains(package.manifest.outputs.heatMap.name) else {
            throw .unsupportedModel("\(package.reference): the graph's outputs \(outputs.sorted()) do not include those the manifest names")
        }
    }

    public struct Result: Sendable {
        public var report: AnalysisReport
        /// The overlay as JPEG bytes (nil when the model was skipped).
        public var overlayJPEG: [UInt8]?
    }

    /// `decodeMilliseconds`: what decoding the image cost the caller, for the report's timings.
    /// `drawsOverlay`: false leaves the overlay out (nil, no time spent), for a reading whose
    /// overlay nobody keeps (a shadow run).
    public func analyze(
        image: GrayscaleImage, sourceBytes: [UInt8], file: String? = nil, studyInstanceUID: String? = nil, sopInstanceUID: String? = nil,
        decodeMilliseconds: Double = 0, drawsOverlay: Bool = true
    ) throws(AnalysisError) -> Result {
        let clock = ContinuousClock()
        func milliseconds(since start: ContinuousClock.Instant) -> Double {
            (clock.now - start).inMilliseconds
        }
        let manifest = package.manifest
        let use = manifest.useClass
        let started = clock.now
        let verdict = QualityCheck(isChest: manifest.bodyPart.uppercased() == "CHEST").evaluate(image)
        let qualityMilliseconds = milliseconds(since: started)

        var findings: [AnalysisReport.Finding] = []
        var heatMaps: [[Float]] = []
        var preprocessMilliseconds = 0.0, inferenceMilliseconds = 0.0, overlayMilliseconds = 0.0
        var overlay: [UInt8]?
        let heatShape = manifest.outputs.heatMap.shape
        if verdict.isReadable {
            let preprocessing = clock.now
            let input = preprocessor.tensor(from: image)
            preprocessMilliseconds = milliseconds(since: preprocessing)
            let inference = clock.now
            let outputs: [String: Tensor]
            do {
                outputs = try model.run([manifest.input.name: input])
            } catch {
                throw .inference("\(error)")
            }
            inferenceMilliseconds = milliseconds(since: inference)
            guard let probabilities = outputs[manifest.outputs.findings.name], let heat = outputs[manifest.outputs.heatMap.name],
                  probabilities.values.count == manifest.outputs.findings.labels.count, heatShape.count == 4,
                  heat.values.count == heatShape.reduce(1, *) else {
                throw .inference("the outputs do not have the shapes the manifest states")
            }
            let (mapHeight, mapWidth) = (heatShape[2], heatShape[3])
            for (index, label) in manifest.outputs.findings.labels.enumerated() {
                let map = Array(heat.values[(index * mapWidth * mapHeight)..<((index + 1) * mapWidth * mapHeight)])
                heatMaps.append(map)
                let peakIndex = map.indices.max { map[$0] < map[$1] } ?? 0
                let probability = Double(probabilities.values[index])
                findings.append(.init(
                    id: label.id, display: label.display, probability: (probability * 10_000).rounded() / 10_000,
                    threshold: label.threshold, flaggedForReview: probability >= label.threshold,
                    peak: [(Double(peakIndex % mapWidth) + 0.5) / Double(mapWidth), (Double(peakIndex / mapWidth) + 0.5) / Double(mapHeight)],
                    modelUse: use, localizedDisplay: label.localizedDisplay
                ))
            }
            if drawsOverlay {
                let drawing = clock.now
                let rendered = self.overlay.render(
                    image: image, findings: findings, heatMaps: heatMaps, mapWidth: mapWidth, mapHeight: mapHeight, modelUse: use
                )
                do {
                    overlay = try JPEGCodec.encodeRGB8(rendered.rgb, width: rendered.width, height: rendered.height, quality: 88)
                } catch {
                    throw .output("overlay JPEG: \(error)")
                }
                overlayMilliseconds = milliseconds(since: drawing)
            }
        }
        let flagged = findings.filter(\.flaggedForReview)
        let summary: String
        if !verdict.isReadable {
            summary = "Not analysed: the image is blank. " + QualityProblem.blank.advice.en
        } else if flagged.isEmpty {
            summary = "No finding flagged for review."
        } else {
            summary = "Flagged for review: " + flagged.map { "\($0.display) (\(Int(($0.probability * 100).rounded()))%)" }.joined(separator: ", ") + "."
        }
        let report = AnalysisReport(
            generatedAt: Date(),
            source: .init(
                file: file, sha256: SHA256Hex.string(of: sourceBytes),
                studyInstanceUID: studyInstanceUID, sopInstanceUID: sopInstanceUID, width: image.width, height: image.height
            ),
            model: .init(
                id: manifest.id, version: manifest.version, packageSHA256: package.packageSHA256, modelSHA256: package.modelSHA256,
                intendedUse: manifest.intendedUse, registrationNumber: manifest.registrationNumber,
                registrationDate: manifest.registrationDate, use: use
            ),
            quality: .init(
                verdict: verdict.isAcceptable ? .acceptable : .retake,
                problems: verdict.problems.map {
                    .init(code: $0.rawValue, message: $0.summary.en, messageRU: $0.summary.ru, advice: $0.advice.en, adviceRU: $0.advice.ru)
                },
                measurements: verdict.measurements
            ),
            status: verdict.isReadable ? .analysed : .skipped,
            findings: findings, summary: summary,
            notice: use == .demonstration ? AnalysisReport.demonstrationNotice + " " + AnalysisReport.notice : AnalysisReport.notice,
            timings: .init(
                decodeMilliseconds: decodeMilliseconds, qualityMilliseconds: qualityMilliseconds, preprocessMilliseconds: preprocessMilliseconds,
                inferenceMilliseconds: inferenceMilliseconds, overlayMilliseconds: overlayMilliseconds,
                totalMilliseconds: decodeMilliseconds + milliseconds(since: started)
            )
        )
        logger.debug("analysed", metadata: ["summary": "\(summary)", "quality": "\(report.quality.verdict.rawValue)"])
        return Result(report: report, overlayJPEG: overlay)
    }
}
