import Foundation

/// One step of a compiled model, on int8 activations. Convolutions run in XNNPACK; the small
/// ops around them (pooling, the classifier, look-up activations) run here, each the way ONNX
/// defines its QDQ form: dequantise, compute in float, quantise.
enum InferenceStep {
    /// Graph input (float32, ONNX order) → int8.
    case quantizeInput(name: String, output: QuantizedBuffer)
    case convolution(QuantizedConvolution)
    case globalAveragePool(input: QuantizedBuffer, output: QuantizedBuffer)
    case maxPool(input: QuantizedBuffer, output: QuantizedBuffer, window: PoolWindow)
    /// The mean over each window; padding counts as zeros only with `countIncludePad`.
    case averagePool(input: QuantizedBuffer, output: QuantizedBuffer, window: PoolWindow, countIncludePad: Bool)
    /// Height and width resampled: each output row and column reads one or two source lines.
    case resize(input: QuantizedBuffer, output: QuantizedBuffer, rows: [ResizeTap], columns: [ResizeTap])
    /// Softmax over the contiguous axis (classes of a matrix, channels of an image).
    case softmax(input: QuantizedBuffer, output: QuantizedBuffer)
    /// Rank-4 (NHWC) or rank-2 → rank-2 in ONNX (NCHW) order, requantised when needed.
    case flatten(input: QuantizedBuffer, output: QuantizedBuffer)
    /// Along the channel axis (the last one in storage), each input requantised.
    case concat(inputs: [QuantizedBuffer], output: QuantizedBuffer)
    /// y = alpha · A·Bᵀ + beta · c, B dequantised at load as [outputs][inputs].
    case gemm(input: QuantizedBuffer, output: QuantizedBuffer, weights: [Float], bias: [Float], inputs: Int, outputs: Int)
    /// Element-wise functions of one int8 value (Sigmoid, Relu, Clip, requantisation): a table.
    case lookup(input: QuantizedBuffer, output: QuantizedBuffer, table: [Int8], function: ElementFunction)
    /// Consecutive steps run as one XNNPACK subgraph runtime.
    case subgraph(XNNPACKSubgraph)
    /// Element-wise Add or Mul of two same-shaped activations.
    case binary(lhs: QuantizedBuffer, rhs: QuantizedBuffer, output: QuantizedBuffer, multiply: Bool)
    /// Broadcasting element-wise functions and data movement through index tables.
    case map(ElementMap)
    case reduction(Reduction)
    case transposedConvolution(TransposedConvolution)
    case matrixProduct(MatrixProduct)
    case rows(RowOperation)

    /// What a look-up step computes, so that a subgraph can run it with XNNPACK's own operator.
    enum ElementFunction {
        case requantize
        case sigmoid
        /// Any other function of one value (HardSwish, Erf…), only ever as a table.
        case other(String)
        /// Relu is a clamp to [0, +∞).
        case clamp(low: Float, high: Float)
    }

    struct PoolWindow {
        var kernel: (Int, Int)
        var stride: (Int, Int)
        var padTop: Int
        var padLeft: Int
    }

    /// Where one output row or column of a resize reads: `first` weighted by 1 − `fraction`
    /// and `second` by `fraction` (nearest: the same line twice, fraction 0).
    struct ResizeTap {
        var first: Int
        var second: Int
        var fraction: Float
    }

    /// ONNX Resize `mode` with its `nearest_mode`.
    enum ResizeMode {
        case nearest(rounding: (Float) -> Float)
        case linear

        init?(onnx mode: String, nearestMode: String) {
            switch (mode, nearestMode) {
            case ("linear", _): self = .linear
            case ("nearest", "round_prefer_floor"): self = .nearest { x in x == x.rounded(.down) + 0.5 ? x.rounded(.down) : x.rounded() }
            case ("nearest", "round_prefer_ceil"): self = .nearest { x in x.rounded() }
            case ("nearest", "floor"): self = .nearest { x in x.rounded(.down) }
            case ("nearest", "ceil"): self = .nearest { x in x.rounded(.up) }
            default: return nil
            }
        }

        func taps(_ sources: [Float], length: Int) -> [ResizeTap] {
            sources.map { source in
                switch self {
                case .nearest(let rounding):
                    let index = min(max(Int(rounding(source)), 0), length - 1)
                    return ResizeTap(first: index, second: index, fraction: 0)
                case .linear:
                    let clamped = min(max(source, 0), Float(length - 1))
                    let first = Int(clamped.rounded(.down))
                    return ResizeTap(first: first, second: min(first + 1, length - 1), fraction: clamped - Float(first))
                }
            }
        }
    }

    /// ONNX Resize `coordinate_transformation_mode`: where an output coordinate falls in the input.
    enum ResizeCoordinates: String {
        case halfPixel = "half_pixel"
        case pytorchHalfPixel = "pytorch_half_pixel"
        case asymmetric
        case alignCorners = "align_corners"

        func source(_ output: Int, scale: Float, inputLength: Int, outputLength: Int) -> Float {
            let x = Float(output)
            switch self {
            case .halfPixel: return (x + 0.5) / scale - 0.5
            case .pytorchHalfPixel: return outputLength > 1 ? (x + 0.5) / scale - 0.5 : 0
            case .asymmetric: return x / scale
            case .alignCorners: return outputLength > 1 ? x * Float(inputLength - 1) / Float(outputLength - 1) : 0
            }
        }
    }

    func run(inputs: [String: Tensor], pool: ThreadPool) throws(InferenceError) {
        switch self {
        case .quantizeInput(let name, let output):
            guard let tensor = inputs[name] else { throw .invalidInput("input \(name) is missing") }
            guard tensor.shape == output.shape else {
                throw .invalidInput("input \(name) has shape \(tensor.shape), the model takes \(output.shape)")
            }
            let values = tensor.values
            if !output.isImage || output.shape[1] == 1 {
                // ONNX order is storage order: one channel, or not an image.
                values.withUnsafeBufferPointer { output.quantize(contiguous: $0) }
            } else {
                let (n, h, w, c) = output.nhwc
                for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
                    output.pointer[((b * h + y) * w + x) * c + ch] = output.quantize(values[((b * c + ch) * h + y) * w + x])
                } } } }
            }
        case .convolution(let convolution):
            try convolution.run(pool: pool)
        case .subgraph(let subgraph):
            try subgraph.run()
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
        case .averagePool(let input, let output, let window, let countIncludePad):
            let (n, h, w, c) = input.nhwc
            let (_, oh, ow, _) = output.nhwc
            let area = Float(window.kernel.0 * window.kernel.1)
            var sums = [Float](repeating: 0, count: c), columns = [Float](repeating: 0, count: c)
            for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow {
                for ch in 0..<c { sums[ch] = 0 }
                var taken = 0
                // Each column of the window summed down first, then the columns: the order of
                // ONNX Runtime's float additions, so that a mean on a tie (.5 of an output step:
                // four values at the input's scale land on one a quarter of the time) rounds
                // the same way.
                for kx in 0..<window.kernel.1 {
                    let x = ox * window.stride.1 - window.padLeft + kx
                    guard x >= 0, x < w else { continue }
                    for ch in 0..<c { columns[ch] = 0 }
                    for ky in 0..<window.kernel.0 {
                        let y = oy * window.stride.0 - window.padTop + ky
                        guard y >= 0, y < h else { continue }
                        taken += 1
                        let row = ((b * h + y) * w + x) * c
                        for ch in 0..<c { columns[ch] += input.dequantize(input.pointer[row + ch]) }
                    }
                    for ch in 0..<c { sums[ch] += columns[ch] }
                }
                let divisor = countIncludePad ? area : Float(max(taken, 1))
                let row = ((b * oh + oy) * ow + ox) * c
                for ch in 0..<c { output.pointer[row + ch] = output.quantize(sums[ch] / divisor) }
            } } }
        case .resize(let input, let output, let rows, let columns):
            let (n, h, w, c) = input.nhwc
            let (_, oh, ow, _) = output.nhwc
            for b in 0..<n { for oy in 0..<oh {
                let r = rows[oy]
                for ox in 0..<ow {
                    let col = columns[ox]
                    let base = b * h * w
                    let p00 = (base + r.first * w + col.first) * c, p01 = (base + r.first * w + col.second) * c
                    let p10 = (base + r.second * w + col.first) * c, p11 = (base + r.second * w + col.second) * c
                    let out = ((b * oh + oy) * ow + ox) * c
                    for ch in 0..<c {
                        let top = input.dequantize(input.pointer[p00 + ch]) * (1 - col.fraction) + input.dequantize(input.pointer[p01 + ch]) * col.fraction
                        let bottom = input.dequantize(input.pointer[p10 + ch]) * (1 - col.fraction) + input.dequantize(input.pointer[p11 + ch]) * col.fraction
                        output.pointer[out + ch] = output.quantize(top * (1 - r.fraction) + bottom * r.fraction)
                    }
                }
            } }
        case .softmax(let input, let output):
            let length = input.shape[input.isImage ? 1 : input.shape.count - 1]
            var values = [Float](repeating: 0, count: length)
            for row in 0..<(input.count / length) {
                let start = row * length
                var largest = -Float.infinity
                for i in 0..<length {
                    values[i] = input.dequantize(input.pointer[start + i])
                    largest = max(largest, values[i])
                }
                var total: Float = 0
                for i in 0..<length {
                    values[i] = exp(values[i] - largest)
                    total += values[i]
                }
                for i in 0..<length { output.pointer[start + i] = output.quantize(values[i] / total) }
            }
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
        case .lookup(let input, let output, let table, _):
            for i in 0..<input.count { output.pointer[i] = table[Int(input.pointer[i]) + 128] }
        case .map(let map):
            map.run()
        case .reduction(let reduction):
            reduction.run()
        case .transposedConvolution(let convolution):
            convolution.run()
        case .matrixProduct(let product):
            product.run()
        case .rows(let operation):
            operation.run()
        case .binary(let lhs, let rhs, let output, let multiply):
            for i in 0..<output.count {
                let a = lhs.dequantize(lhs.pointer[i])
                let b = rhs.dequantize(rhs.pointer[i])
                output.pointer[i] = output.quantize(multiply ? a * b : a + b)
            }
        }
    }
}

extension InferenceStep {
    /// The buffers the step reads.
    var reads: [QuantizedBuffer] {
        switch self {
        case .quantizeInput: []
        case .convolution(let convolution): [convolution.input]
        case .globalAveragePool(let input, _), .maxPool(let input, _, _), .averagePool(let input, _, _, _), .resize(let input, _, _, _),
             .softmax(let input, _), .flatten(let input, _), .gemm(let input, _, _, _, _, _), .lookup(let input, _, _, _):
            [input]
        case .concat(let inputs, _): inputs
        case .binary(let lhs, let rhs, _, _): [lhs, rhs]
        case .subgraph(let subgraph): subgraph.externalInputs
        case .map(let map): map.reads
        case .reduction(let reduction): reduction.input.quantized.map { [$0] } ?? []
        case .transposedConvolution(let convolution): [convolution.input]
        case .matrixProduct(let product): product.reads
        case .rows(let operation): operation.input.quantized.map { [$0] } ?? []
        }
    }

    /// The buffers the step writes.
    var writes: [QuantizedBuffer] {
        switch self {
        case .quantizeInput(_, let output), .globalAveragePool(_, let output), .maxPool(_, let output, _), .averagePool(_, let output, _, _),
             .resize(_, let output, _, _), .softmax(_, let output), .flatten(_, let output), .concat(_, let output),
             .gemm(_, let output, _, _, _, _), .lookup(_, let output, _, _), .binary(_, _, let output, _):
            [output]
        case .convolution(let convolution): [convolution.output]
        case .subgraph(let subgraph): subgraph.externalOutputs
        case .map(let map): map.output.quantized.map { [$0] } ?? []
        case .reduction(let reduction): reduction.output.quantized.map { [$0] } ?? []
        case .transposedConvolution(let convolution): [convolution.output]
        case .matrixProduct(let product): product.output.quantized.map { [$0] } ?? []
        case .rows(let operation): operation.output.quantized.map { [$0] } ?? []
        }
    }

    /// A short name for profiles and logs.
    var summary: String {
        switch self {
        case .quantizeInput(let name, let output): "quantize input \(name) \(output.shape)"
        case .convolution(let convolution): "convolution (operator) \(convolution.input.shape) → \(convolution.output.shape)"
        case .globalAveragePool(let input, _): "global average pool \(input.shape)"
        case .maxPool(let input, _, _): "max pool \(input.shape)"
        case .averagePool(let input, _, _, _): "average pool \(input.shape)"
        case .resize(let input, let output, _, _): "resize \(input.shape) → \(output.shape)"
        case .softmax(let input, _): "softmax \(input.shape)"
        case .flatten(let input, let output): "flatten \(input.shape) → \(output.shape)"
        case .concat(_, let output): "concat → \(output.shape)"
        case .gemm(let input, let output, _, _, _, _): "gemm \(input.shape) → \(output.shape)"
        case .lookup(let input, _, _, let function): "\(function) \(input.shape)"
        case .binary(let lhs, _, _, let multiply): "\(multiply ? "mul" : "add") \(lhs.shape)"
        case .subgraph(let subgraph): "XNNPACK subgraph of \(subgraph.nodeCount) node(s)"
        case .map(let map): "\(map.name) → \(map.output.shape)"
        case .reduction(let reduction): "\(reduction.kind.rawValue) \(reduction.input.shape) → \(reduction.output.shape)"
        case .transposedConvolution(let convolution): "ConvTranspose \(convolution.input.shape) → \(convolution.output.shape)"
        case .matrixProduct(let product): "MatMul → \(product.output.shape)"
        case .rows(let operation): "\(operation.name) \(operation.input.shape)"
        }
    }
}
