import Foundation
import Logging
import Synchronization

/// An int8 QDQ ONNX model loaded for the box's CPU: parsed once, weights packed once into
/// XNNPACK operators, kept across images. `run` may be called from any task; calls take turns
/// (one set of activation buffers per model).
public final class InferenceModel: Sendable {
    public let inputs: [TensorSpec]
    public let outputs: [TensorSpec]
    public let threads: Int
    private let plan: Mutex<InferencePlan>

    /// Loads `onnx` (the bytes of a model file). `threads` 1 runs on the caller's thread; more
    /// start a thread pool of that size. Refuses any node, type or shape it cannot run, naming it.
    public init(onnx data: Data, threads: Int = 1, logger: Logger) throws(InferenceError) {
        let graph = try ONNXGraph(serialized: data)
        let compiled = try InferencePlan(graph: graph, threads: max(1, threads))
        inputs = compiled.inputs
        outputs = compiled.outputsResolved
        self.threads = max(1, threads)
        logger.debug("model loaded", metadata: [
            "inputs": "\(compiled.inputs)", "outputs": "\(compiled.outputsResolved)", "steps": "\(compiled.steps.count)", "xnnpackSubgraphNodes": "\(compiled.subgraphNodeCount)", "threads": "\(max(1, threads))",
        ])
        for refusal in compiled.subgraphRefusals {
            logger.debug("XNNPACK's subgraph refused steps; they run one by one", metadata: ["refusal": "\(refusal)"])
        }
        plan = Mutex(compiled)
    }

    public convenience init(contentsOf path: String, threads: Int = 1, logger: Logger) throws(InferenceError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable("cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(onnx: data, threads: threads, logger: logger)
    }

    /// Median time of each step over `runs` runs of `inputs`, named, with the conversion of the
    /// outputs last: where a model's time goes, for benchmarks (`fluorobox model eval --profile`).
    public func profile(_ inputs: [String: Tensor], runs: Int) throws(InferenceError) -> [(step: String, median: Duration)] {
        try plan.withLock { (plan: inout InferencePlan) throws(InferenceError) -> [(step: String, median: Duration)] in
            var samples: [[Duration]] = []
            for _ in 0..<max(1, runs) { samples.append(try plan.runTimed(inputs).times) }
            let names = plan.steps.map(\.summary) + ["outputs to float32 (ONNX order)"]
            return names.enumerated().map { index, name in
                let sorted = samples.map { $0[index] }.sorted()
                return (name, sorted[sorted.count / 2])
            }
        }
    }

    /// Runs the model: float32 inputs by name (ONNX shapes) → float32 outputs by name.
    public func run(_ inputs: [String: Tensor]) throws(InferenceError) -> [String: Tensor] {
        try plan.withLock { (plan: inout InferencePlan) throws(InferenceError) -> [String: Tensor] in
            try plan.run(inputs)
        }
    }
}
