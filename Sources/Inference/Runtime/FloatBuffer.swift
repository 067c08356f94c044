/// A float32 activation: the output of an operator the quantiser left in float (one outside its
/// registry, such as Div, Sub, Erf or HardSigmoid, or the graph's last) on its way to the next
/// QuantizeLinear. Allocated once at load; stored in ONNX order at every rank.
final class FloatBuffer {
    let shape: [Int]
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(shape: [Int]) {
        self.shape = shape
        count = shape.reduce(1, *)
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
