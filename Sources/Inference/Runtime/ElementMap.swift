import Foundation

/// One value computed per output element from one, two or three operands read at precomputed
/// storage offsets: element-wise functions with numpy broadcasting (Add, Sub, Mul, Div with any
/// broadcast shape, BatchNormalization as x · a + b per channel, HardSwish, Erf… on int8 or
/// float32), and every pure data movement (Reshape, Transpose, Slice, Split, Concat along any
/// axis, Squeeze, Unsqueeze, Gather on constant indices) as a copy through an index table. Each
/// operand is dequantised (or read as float32 or a constant), the function computed in float32,
/// the result quantised: what ONNX defines for the QDQ form. Offsets are built once at load.
final class ElementMap {
    enum Operand {
        case activation(Activation)
        /// A constant in ONNX order (a weight dequantised at load, or a float initializer).
        case constant([Float])

        func read(_ offset: Int) -> Float {
            switch self {
            case .activation(let activation): activation.read(offset)
            case .constant(let values): values[offset]
            }
        }
    }

    enum Operation {
        case unary((Float) -> Float)
        case binary((Float, Float) -> Float)
        case ternary((Float, Float, Float) -> Float)
    }

    let name: String
    let operands: [Operand]
    /// For each output element (ONNX order), where each operand is read.
    let operandOffsets: [[Int32]]
    let output: Activation
    /// For each output element (ONNX order), where it is stored.
    let outputOffsets: [Int32]
    let operation: Operation

    init(name: String, operands: [Operand], operandOffsets: [[Int32]], output: Activation, outputOffsets: [Int32], operation: Operation) {
        precondition(operands.count == operandOffsets.count && operandOffsets.allSatisfy { $0.count == outputOffsets.count })
        self.name = name
        self.operands = operands
        self.operandOffsets = operandOffsets
        self.output = output
        self.outputOffsets = outputOffsets
        self.operation = operation
    }

    func run() {
        let count = outputOffsets.count
        switch operation {
        case .unary(let f):
            let a = operands[0], ia = operandOffsets[0]
            for k in 0..<count { output.write(f(a.read(Int(ia[k]))), at: Int(outputOffsets[k])) }
        case .binary(let f):
            let a = operands[0], ia = operandOffsets[0], b = operands[1], ib = operandOffsets[1]
            for k in 0..<count { output.write(f(a.read(Int(ia[k])), b.read(Int(ib[k]))), at: Int(outputOffsets[k])) }
        case .ternary(let f):
            let a = operands[0], ia = operandOffsets[0], b = operands[1], ib = operandOffsets[1], c = operands[2], ic = operandOffsets[2]
            for k in 0..<count {
                output.write(f(a.read(Int(ia[k])), b.read(Int(ib[k])), c.read(Int(ic[k]))), at: Int(outputOffsets[k]))
            }
        }
    }

    var reads: [QuantizedBuffer] {
        operands.compactMap { if case .activation(let activation) = $0 { activation.quantized } else { nil } }
    }
}
