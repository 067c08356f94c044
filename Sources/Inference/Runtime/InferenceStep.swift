/// One step of a compiled model, on int8 activations. Convolutions run in XNNPACK; the small
/// ops around them (pooling, the classifier, look-up activations) run here, each the way ONNX
/// defines its QDQ form: dequantise, compute in float, quantise.
enum InferenceStep {
    /// Graph input (float32, ONNX order) → int8.
    case quantizeInput(name: String, output: QuantizedBuffer)
    case convolution(QuantizedConvolution)
    case globalAveragePool(input: QuantizedBuffer, output: QuantizedBuffer)
    case maxPool(input: QuantizedBuffer, output: QuantizedBuffer, window: PoolWindow)
    /// Rank-4 (NHWC) or rank-2 → rank-2 in ONNX (NCHW) order, requantised when needed.
    case flatten(input: QuantizedBuffer, output: QuantizedBuffer)
    /// Along the channel axis (the last one in storage), each input requantised.
    case concat(inputs: [QuantizedBuffer], output: QuantizedBuffer)
    /// y = alpha · A·Bᵀ + beta · c, B dequantised at load as [outputs][inputs].
    case gemm(input: QuantizedBuffer, output: QuantizedBuffer, weights: [Float], bias: [Float], inputs: Int, outputs: Int)
    /// Element-wise functions of one int8 value (Sigmoid, Relu, Clip, requantisation): a table.
    case lookup(input: QuantizedBuffer, output: QuantizedBuffer, table: [Int8])
    /// Element-wise Add or Mul of two same-shaped activations.
    case binary(lhs: QuantizedBuffer, rhs: QuantizedBuffer, output: QuantizedBuffer, multiply: Bool)

    struct PoolWindow {
        var kernel: (Int, Int)
        var stride: (Int, Int)
        var padTop: Int
        var padLeft: Int
    }

    func run(inputs: [String: Tensor], pool: ThreadPool) throws(InferenceError) {
        switch self {
        case .quantizeInput(let name, let output):
            guard let tensor = inputs[name] else { throw .invalidInput("input \(name) is missing") }
            guard tensor.shape == output.shape else {
                throw .invalidInput("input \(name) has shape \(tensor.shape), the model takes \(output.shape)")
            }
            let values = tensor.values
            if output.isImage {
                let (n, h, w, c) = output.nhwc
                for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
                    output.pointer[((b * h + y) * w + x) * c + ch] = output.quantize(values[((b * c + ch) * h + y) * w + x])
                } } } }
            } else {
                for i in 0..<output.count { output.pointer[i] = output.quantize(values[i]) }
            }
        case .convolution(let convolution):
            try convolution.run(pool: pool)
        case .globalAveragePool(let input, let output):
            let (n, h, w, c) = input.nhwc
            let area = Double(h * w)
            for b in 0..<n {
                for ch in 0..<c {
                    var sum = 0.0
                    for p in 0..<(h * w) { sum += Double(input.dequantize(input.pointer[(b * h * w + p) * c + ch])) }
                    output.pointer[b * c + ch] = output.quantize(Float(sum / area))
                }
            }
        case .maxPool(let input, let output, let window):
            let (n, h, w, c) = input.nhwc
            let (_, oh, ow, _) = output.nhwc
            let same = input.scale == output.scale && input.zeroPoint == output.zeroPoint
            for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
                var best = Int8.min
                for ky in 0..<window.kernel.0 {
                    let y = oy * window.stride.0 - window.padTop + ky
                    guard y >= 0, y < h else { continue }
                    for kx in 0..<window.kernel.1 {
                        let x = ox * window.stride.1 - window.padLeft + kx
                        guard x >= 0, x < w else { continue }
                        best = max(best, input.pointer[((b * h + y) * w + x) * c + ch])
                    }
                }
                output.pointer[((b * oh + oy) * ow + ox) * c + ch] = same ? best : output.quantize(input.dequantize(best))
            } } } }
        case .flatten(let input, let output):
            let same = input.scale == output.scale && input.zeroPoint == output.zeroPoint
            if input.isImage {
                let (n, h, w, c) = input.nhwc
                for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
                    let value = input.pointer[((b * h + y) * w + x) * c + ch]
                    output.pointer[((b * c + ch) * h + y) * w + x] = same ? value : output.quantize(input.dequantize(value))
                } } } }
            } else {
                for i in 0..<input.count {
                    output.pointer[i] = same ? input.pointer[i] : output.quantize(input.dequantize(input.pointer[i]))
                }
            }
        case .concat(let parts, let output):
            let outer = output.count / output.shape[output.isImage ? 1 : output.shape.count - 1]
            var offset = 0
            let total = output.isImage ? output.shape[1] : output.shape[output.shape.count - 1]
            for part in parts {
                let channels = part.isImage ? part.shape[1] : part.shape[part.shape.count - 1]
                for row in 0..<outer {
                    for ch in 0..<channels {
                        let value = part.pointer[row * channels + ch]
                        output.pointer[row * total + offset + ch] = output.quantize(part.dequantize(value))
                    }
                }
                offset += channels
            }
        case .gemm(let input, let output, let weights, let bias, let inputCount, let outputCount):
            let rows = input.count / inputCount
            for r in 0..<rows {
                var a = [Float](repeating: 0, count: inputCount)
                for k in 0..<inputCount { a[k] = input.dequantize(input.pointer[r * inputCount + k]) }
                for m in 0..<outputCount {
                    var sum = 0.0
                    for k in 0..<inputCount { sum += Double(a[k]) * Double(weights[m * inputCount + k]) }
                    output.pointer[r * outputCount + m] = output.quantize(Float(sum) + bias[m])
                }
            }
        case .lookup(let input, let output, let table):
            for i in 0..<input.count { output.pointer[i] = table[Int(input.pointer[i]) + 128] }
        case .binary(let lhs, let rhs, let output, let multiply):
            for i in 0..<output.count {
                let a = lhs.dequantize(lhs.pointer[i])
                let b = rhs.dequantize(rhs.pointer[i])
                output.pointer[i] = output.quantize(multiply ? a * b : a + b)
            }
        }
    }
}
