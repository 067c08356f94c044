/// A float32 tensor as ONNX declares it (row-major, NCHW for images): what goes into and comes
/// out of a model. Quantised values stay inside the runtime.
public struct Tensor: Sendable, Hashable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }
}

/// A model input or output: its name and shape (batch and other symbolic dimensions fixed to 1).
public struct TensorSpec: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var shape: [Int]

    public var description: String { "\(name) \(shape.map(String.init).joined(separator: "×"))" }
}
