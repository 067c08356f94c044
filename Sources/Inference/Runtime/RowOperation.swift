import Foundation

/// An operator over the rows along one axis (or the trailing axes) of an activation: Softmax on
/// any axis, LayerNormalization. Each row is read through the element offsets built at load
/// (rows of an image stored NHWC are strided), computed in float (the normalisation's
/// statistics in double, as ONNX Runtime's kernel keeps them), and quantised.
final class RowOperation {
    enum Kind {
        case softmax
        /// y = (x − mean) / √(variance + ε) · scale + bias, scale and bias per row element.
        case layerNormalization(scale: [Float], bias: [Float], epsilon: Float)
    }

    let kind: Kind
    var name: String {
        switch kind {
        case .softmax: "Softmax"
        case .layerNormalization: "LayerNormalization"
        }
    }

    let input: Activation
    let output: Activation
    /// Storage offset of each row's first element, in the input and in the output.
    let inputRows: [Int32]
    let outputRows: [Int32]
    /// Storage offsets of a row's elements from its first, in the input and in the output.
    let inputElements: [Int32]
    let outputElements: [Int32]

    init(kind: Kind, input: Activation, output: Activation, inputRows: [Int32], outputRows: [Int32], inputElements: [Int32], outputElements: [Int32]) {
        self.kind = kind
        self.input = input
        self.output = output
        self.inputRows = inputRows
        self.outputRows = outputRows
        self.inputElements = inputElements
        self.outputElements = outputElements
    }

    func run() {
        let length = inputElements.count
        var values = [Float](repeating: 0, count: length)
        for (row, start) in inputRows.enumerated() {
            for i in 0..<length { values[i] = input.read(Int(start + inputElements[i])) }
            let base = Int(outputRows[row])
            switch kind {
            case .softmax:
                let largest = values.max() ?? 0
                var total: Float = 0
                for i in 0..<length {
                    values[i] = exp(values[i] - largest)
                    total += values[i]
                }
                for i in 0..<length { output.write(values[i] / total, at: base + Int(outputElements[i])) }
            case .layerNormalization(let scale, let bias, let epsilon):
                var sum = 0.0, squares = 0.0
                for value in values {
                    sum += Double(value)
                    squares += Double(value) * Double(value)
                }
                let mean = sum / Double(length)
                let variance = max(0, squares / Double(length) - mean * mean)
                let deviation = Float((variance + Double(epsilon)).squareRoot())
                for i in 0..<length {
                    output.write((values[i] - Float(mean)) / deviation * scale[i] + bias[i], at: base + Int(outputElements[i]))
                }
            }
        }
    }
}
