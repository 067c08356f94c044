import Analysis
import Foundation
import Inference
import Logging
import POSIXSupport

/// The part of an analysis that reads untrusted pixels, as the worker process runs it
/// (`fluorobox analysis-worker`, request on standard input, response on standard output):
/// decode the stored image, verify the model package the agent named, analyse. The agent then
/// records the result; the worker writes nothing.
public enum AnalysisWorker {
    public struct Request: Codable, Sendable, Hashable {
        /// The stored blob, absolute.
        public var imagePath: String
        /// The package folder the agent verified, and the SHA-256 of the manifest it saw there:
        /// the worker verifies it again and refuses another one (an activation in between).
        public var packageDirectory: String
        public var packageSHA256: String
        /// `ed25519:BASE64` keys the worker accepts the package's signature from.
        public var trustedKeys: [String]
        public var threads: Int
        public var studyInstanceUID: String
        public var sopInstanceUID: String
        /// The worker's data segment cap (heap); 0: none.
        public var memoryLimitBytes: UInt64
        /// The overlay legend's language and font file (``AnalysisSettings``).
        public var legendLanguage: LegendLanguage
        public var overlayFontPath: String
        /// false: no overlay is drawn (the answer has none), for a shadow run, whose overlay
        /// nobody keeps: it saves the drawing and the JPEG on every image.
        public var drawsOverlay: Bool
    }

    public struct Response: Codable, Sendable {
        public var report: AnalysisReport?
        public var overlayJPEG: Data?
        /// Set when the analysis failed without crashing the worker.
        public var failure: String?
        /// Whether a failure may pass on a later attempt (a model that could not load) or is the
        /// image's own (it cannot be decoded).
        public var retryable: Bool

        static func failed(_ reason: String, retryable: Bool) -> Response {
            Response(report: nil, overlayJPEG: nil, failure: reason, retryable: retryable)
        }
    }

    /// Runs one request in this process (the worker): caps its memory, verifies the package,
    /// loads the model. Never throws: every failure is an answer.
    public static func run(_ request: Request, logger: Logger) -> Response {
        if request.memoryLimitBytes > 0 {
            do {
                try Posix.limitDataSegment(bytes: request.memoryLimitBytes)
            } catch {
                return .failed("cannot limit the analysis process's memory: \(error)", retryable: true)
            }
        }
        var keys: [ModelPublicKey] = []
        for text in request.trustedKeys {
            do throws(ModelPackageError) {
                keys.append(try ModelPublicKey(parsing: text))
            } catch {
                return .failed("a trusted key the agent passed is invalid: \(error)", retryable: false)
            }
        }
        let analyzer: ImageAnalyzer
        do {
            let package = try ModelPackageVerifier(trustedKeys: keys).verify(directory: request.packageDirectory)
            guard package.packageSHA256 == request.packageSHA256 else {
                return .failed("the model package changed while the image waited (another one was activated)", retryable: true)
            }
            // A font that cannot be used is also logged by the agent, which sees this process's log only on a crash.
            let overlay = OverlayRenderer(language: request.legendLanguage, font: LegendFont(path: request.overlayFontPath, logger: logger))
            analyzer = try ImageAnalyzer(package: package, threads: request.threads, overlay: overlay, logger: logger)
        } catch {
            return .failed("\(error)", retryable: true)
        }
        return run(request, analyzer: analyzer)
    }

    /// Reads and analyses the image with a model already loaded (the worker's, or the agent's
    /// own when ``AnalysisIsolation/inProcess``).
    public static func run(_ request: Request, analyzer: ImageAnalyzer) -> Response {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: request.imagePath)))
        } catch {
            return .failed("cannot read the stored image: \(error.localizedDescription)", retryable: true)
        }
        // The crash test's stand-in for an image that traps a decoder (FLUOROBOX_CRASH_AT).
        CrashPoint.reached("analysis-worker.decode")
        let started = ContinuousClock.now
        let input: AnalysisInput
        do {
            input = try AnalysisInput(decoding: bytes)
        } catch {
            return .failed(error.description, retryable: false)
        }
        do {
            let result = try analyzer.analyze(
                image: input.image, sourceBytes: bytes, studyInstanceUID: request.studyInstanceUID,
                sopInstanceUID: request.sopInstanceUID, decodeMilliseconds: (ContinuousClock.now - started).inMilliseconds,
                drawsOverlay: request.drawsOverlay
            )
            return Response(report: result.report, overlayJPEG: result.overlayJPEG.map { Data($0) }, failure: nil, retryable: false)
        } catch {
            return .failed(error.description, retryable: !error.isUnreadableImage)
        }
    }
}
