import ArgumentParser
import Foundation
import Inference
import POSIXSupport

/// `fluorobox model eval`: raw tensors through the runtime, no pre- or post-processing.
struct ModelEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run raw tensors (.npy, float32, NCHW as the graph declares) through the box's runtime.",
        discussion: """
            Inputs are matched to the model's inputs in order, outputs likewise. A model with more \
            outputs than --output paths writes the rest beside the first as STEM.NAME.npy. No \
            pre-processing, no thresholds: compare the outputs with any other runtime.
            """
    )

    @Argument(help: "The ONNX model (int8 QDQ).")
    var model: String

    @Option(name: .long, help: "An input tensor (.npy); repeat for models with several inputs.")
    var input: [String]

    @Option(name: .long, help: "Where to write an output tensor (.npy); repeat for several.")
    var output: [String]

    @Option(name: .long, help: "Threads for XNNPACK (1 runs on the calling thread).")
    var threads: Int = 1

    @Option(name: .customLong("repeat"), help: "Run this many more times after the first and print the median (for benchmarks).")
    var repeatCount: Int = 0

    @Flag(name: .long, help: "With --repeat: print the median time of each step of the compiled model.")
    var profile = false

    @Flag(name: .long, help: "Log more to stderr.")
    var verbose = false

    func validate() throws {
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be between 1 and 64") }
        guard !output.isEmpty else { throw ValidationError("give at least one --output path") }
        guard repeatCount >= 0 else { throw ValidationError("--repeat must not be negative") }
    }

    func run() async throws {
        var options = CommonOptions()
        options.verbose = verbose
        let logger = options.bootstrapLogging(level: nil)
        do {
            let loaded = try InferenceModel(contentsOf: model, threads: threads, logger: logger)
            guard input.count == loaded.inputs.count else {
                throw ReportedFailure(description: "\(model) takes \(loaded.inputs.count) input(s) (\(loaded.inputs.map(\.description).joined(separator: ", "))); \(input.count) given")
            }
            var feeds: [String: Tensor] = [:]
            for (spec, path) in zip(loaded.inputs, input) { feeds[spec.name] = try NumpyFile.readTensor(path) }
            let started = ContinuousClock.now
            let results = try loaded.run(feeds)
            let elapsed = ContinuousClock.now - started
            for (index, spec) in loaded.outputs.enumerated() {
                let path: String
                if index < output.count {
                    path = output[index]
                } else {
                    let first = URL(fileURLWithPath: output[0])
                    path = first.deletingPathExtension().path + "." + spec.name + ".npy"
                }
                guard let tensor = results[spec.name] else { continue }
                do {
                    try NumpyFile.encode(tensor).write(to: URL(fileURLWithPath: path))
                } catch {
                    throw ReportedFailure(description: "cannot write \(path): \(error.localizedDescription)")
                }
                print("\(spec.name) \(tensor.shape.map(String.init).joined(separator: "×")) → \(path)")
            }
            print(String(format: "ran in %.1f ms on %d thread(s)", elapsed.inMilliseconds, threads))
            if repeatCount > 0 {
                var times: [Double] = []
                for _ in 0..<repeatCount {
                    let start = ContinuousClock.now
                    _ = try loaded.run(feeds)
                    times.append((ContinuousClock.now - start).inMilliseconds)
                }
                times.sort()
                print(String(format: "median %.2f ms over %d runs (min %.2f, max %.2f)", times[times.count / 2], times.count, times[0], times[times.count - 1]))
                if profile {
                    for (step, median) in try loaded.profile(feeds, runs: repeatCount) {
                        print(String(format: "%9.3f ms  %@", median.inMilliseconds, step))
                    }
                }
            }
        } catch let error as InferenceError {
            throw ReportedFailure(description: "\(model): \(error)")
        }
    }
}
