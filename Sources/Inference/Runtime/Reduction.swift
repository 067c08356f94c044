/// ReduceMean, ReduceMax or ReduceSum over some axes of an activation (the squeeze-and-excite
/// pooling of EfficientNet is a ReduceMean over height and width): each input element added
/// (or compared) into its output element in float, then quantised.
final class Reduction {
    enum Kind: String {
        case mean = "ReduceMean"
        case max = "ReduceMax"
        case sum = "ReduceSum"
    }

    let kind: Kind
    let input: Activation
    let output: Activation
    /// For each input element (ONNX order): where it is stored, and which output element (in
    /// ONNX order) it joins.
    let inputOffsets: [Int32]
    let targets: [Int32]
    /// Where each output element (ONNX order) is stored, and how many inputs it takes.
    let outputOffsets: [Int32]
    let reducedCount: Int

    init(kind: Kind, input: Activation, output: Activation, inputOffsets: [Int32], targets: [Int32], outputOffsets: [Int32], reducedCount: Int) {
        self.kind = kind
        self.input = input
        self.output = output
        self.inputOffsets = inputOffsets
        self.targets = targets
        self.outputOffsets = outputOffsets
        self.reducedCount = reducedCount
    }

    func run() {
        var accumulators = [Float](repeating: kind == .max ? -.infinity : 0, count: outputOffsets.count)
        for k in 0..<inputOffsets.count {
            let value = input.read(Int(inputOffsets[k]))
            let target = Int(targets[k])
            accumulators[target] = kind == .max ? Swift.max(accumulators[target], value) : accumulators[target] + value
        }
        for (k, value) in accumulators.enumerated() {
            output.write(kind == .mean ? value / Float(reducedCount) : value, at: Int(outputOffsets[k]))
        }
    }
}
