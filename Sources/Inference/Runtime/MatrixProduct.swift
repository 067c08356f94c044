/// MatMul with numpy semantics beyond the classifier's Gemm: batched, broadcasting the leading
/// axes, between two activations (attention's Q·Kᵀ and weights·V) or an activation and constant
/// weights (a transformer's projections on [1, tokens, width]). Both operands are dequantised
/// into float32 matrices through index tables built at load, multiplied in float32, quantised.
final class MatrixProduct {
    let lhs: ElementMap.Operand
    let rhs: ElementMap.Operand
    /// Storage offsets of [batch][M][K] and [batch][K][N] (the batch broadcast to the output's).
    let lhsOffsets: [Int32]
    let rhsOffsets: [Int32]
    let output: Activation
    /// Storage offsets of the output's [batch][M][N].
    let outputOffsets: [Int32]
    let m: Int, k: Int, n: Int

    init(lhs: ElementMap.Operand, rhs: ElementMap.Operand, lhsOffsets: [Int32], rhsOffsets: [Int32], output: Activation, outputOffsets: [Int32], m: Int, k: Int, n: Int) {
        self.lhs = lhs
        self.rhs = rhs
        self.lhsOffsets = lhsOffsets
        self.rhsOffsets = rhsOffsets
        self.output = output
        self.outputOffsets = outputOffsets
        self.m = m
        self.k = k
        self.n = n
    }

    func run() {
        let a = lhsOffsets.map { lhs.read(Int($0)) }
        let b = rhsOffsets.map { rhs.read(Int($0)) }
        let batches = outputOffsets.count / (m * n)
        var row = [Float](repeating: 0, count: n)
        for batch in 0..<batches {
            for i in 0..<m {
                for j in 0..<n { row[j] = 0 }
                for p in 0..<k {
                    let value = a[(batch * m + i) * k + p]
                    let base = (batch * k + p) * n
                    for j in 0..<n { row[j] += value * b[base + j] }
                }
                for j in 0..<n { output.write(row[j], at: Int(outputOffsets[(batch * m + i) * n + j])) }
            }
        }
    }

    var reads: [QuantizedBuffer] {
        [lhs, rhs].compactMap { if case .activation(let activation) = $0 { activation.quantized } else { nil } }
    }
}
