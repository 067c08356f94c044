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

    /// Runs the model: float32 inputs by name (ONNX shapes) → float32 outputs by name.
    public func run(_ inputs: [String: Tensor]) throws(InferenceError) -> [String: Tensor] {
        try plan.withLock { (plan: inout InferencePlan) throws(InferenceError) -> [String: Tensor] in
            try plan.run(inputs)
        }
    }
}
