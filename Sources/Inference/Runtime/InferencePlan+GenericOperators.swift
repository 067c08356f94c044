import Foundation

/// What the generic operators need from the compiler's state while it walks the graph.
struct OperatorContext {
    /// An int8 (dequantised) or float32 activation by name.
    let activation: (String, ONNXGraph.Node) throws(InferenceError) -> Activation
    /// An activation or a constant (dequantised weights, float initializers), with its shape.
    let operand: (String, ONNXGraph.Node) throws(InferenceError) -> (ElementMap.Operand, [Int])
    /// Output `index` of a node: int8 when only QuantizeLinear takes it, else float32.
    let output: (ONNXGraph.Node, Int, [Int]) throws(InferenceError) -> Activation
}

/// The operators without a specialised step: element-wise functions with broadcasting,
/// BatchNormalization, reductions and every data movement, as ``ElementMap`` and ``Reduction``
/// steps computing what ONNX defines (dequantise, float32, quantise); ConvTranspose as
/// ``TransposedConvolution``. Unknown operators are refused here, naming the node.
extension InferencePlan {
    private static let binaryFunctions: [String: @Sendable (Float, Float) -> Float] = [
        "Add": { $0 + $1 }, "Sub": { $0 - $1 }, "Mul": { $0 * $1 }, "Div": { $0 / $1 },
        "Pow": { pow($0, $1) }, "Max": { max($0, $1) }, "Min": { min($0, $1) },
    ]

    /// ONNX's element-wise functions of one value, with the node's attributes and constant inputs.
    /// Clip's min and max (constant inputs; absent: unbounded).
    func clipBounds(_ node: ONNXGraph.Node) throws(InferenceError) -> (low: Float, high: Float) {
        var bounds = (low: -Float.infinity, high: Float.infinity)
        guard node.op == "Clip" else { return bounds }
        for (index, name) in node.inputs.enumerated().dropFirst() where !name.isEmpty && index <= 2 {
            guard let value = graphConstants[name]?.floats?.first else {
                throw .unsupported(node: node.name, op: node.op, "\(index == 1 ? "min" : "max") is not a constant")
            }
            if index == 1 { bounds.low = value } else { bounds.high = value }
        }
        return bounds
    }

    func unaryFunction(_ node: ONNXGraph.Node) throws(InferenceError) -> ((Float) -> Float)? {
        switch node.op {
        case "Identity": return { $0 }
        case "Relu": return { max($0, 0) }
        case "Sigmoid": return { 1 / (1 + exp(-$0)) }
        case "Tanh": return { tanh($0) }
        case "Erf": return { erf($0) }
        case "Exp": return { exp($0) }
        case "Sqrt": return { sqrt($0) }
        case "Neg": return { -$0 }
        case "Abs": return { abs($0) }
        case "HardSwish": return { $0 * max(0, min(1, $0 / 6 + 0.5)) }
        case "HardSigmoid":
            let alpha = node.float("alpha", default: 0.2), beta = node.float("beta", default: 0.5)
            return { max(0, min(1, alpha * $0 + beta)) }
        case "LeakyRelu":
            let alpha = node.float("alpha", default: 0.01)
            return { $0 >= 0 ? $0 : alpha * $0 }
        case "Gelu":
            if node.string("approximate") == "tanh" {
                return { 0.5 * $0 * (1 + tanh(0.7978845608 * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return { 0.5 * $0 * (1 + erf($0 * 0.70710678118654752)) }
        case "Clip":
            let (low, high) = try clipBounds(node)
            return { min(max($0, low), high) }
        default: return nil
        }
    }

    /// The 256 outputs of `function` for every int8 input: a look-up step.
    static func lookupTable(from input: QuantizedBuffer, to output: QuantizedBuffer, _ function: (Float) -> Float) -> [Int8] {
        (-128...127).map { output.quantize(function(input.dequantize(Int8($0)))) }
    }

    /// The bias of a convolution in its accumulator's scale (input scale × the output channel's
    /// weight scale), re-rounded from its own quantisation in case the quantiser chose another.
    static func accumulatorBias(_ values: [Float], inputScale: Float, weightScales: [Float]) -> [Int32] {
        zip(values, weightScales).map { value, scale in
            let accumulated = (Double(value) / (Double(inputScale) * Double(scale))).rounded(.toNearestOrEven)
            return Int32(max(Double(Int32.min), min(Double(Int32.max), accumulated)))
        }
    }

    /// A Concat along the channel axis of same-ranked int8 images or matrices (the specialised step).
    static func isChannelConcat(_ node: ONNXGraph.Node, views: [String: QuantizedBuffer]) -> Bool {
        let parts = node.inputs.compactMap { views[$0] }
        guard parts.count == node.inputs.count, let first = parts.first else { return false }
        let rank = first.shape.count
        var axis = node.int("axis", default: 1)
        if axis < 0 { axis += rank }
        func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != 1 }.map(\.element) }
        return axis == 1 && (rank == 2 || rank == 4) && parts.allSatisfy { $0.shape.count == rank && others($0.shape) == others(first.shape) }
    }

    private func int64s(_ name: String) -> [Int]? {
        guard case .int64(let values)? = graphConstants[name]?.values else { return nil }
        return values.map(Int.init)
    }

    /// Axes from an attribute (older opsets) or a constant input (newer), made non-negative.
    private func axes(_ node: ONNXGraph.Node, input: Int, rank: Int) throws(InferenceError) -> [Int]? {
        var values = node.ints("axes")
        if values == nil, node.inputs.count > input, !node.inputs[input].isEmpty {
            guard let constant = int64s(node.inputs[input]) else { throw .unsupported(node: node.name, op: node.op, "axes must be an int64 constant") }
            values = constant
        }
        guard let values else { return nil }
        let normalised = values.map { $0 < 0 ? $0 + rank : $0 }
        guard normalised.allSatisfy({ $0 >= 0 && $0 < rank }), Set(normalised).count == normalised.count else {
            throw .invalidGraph("node \(node.name): axes \(values) of a rank-\(rank) tensor")
        }
        return normalised
    }

    private static func axis(_ node: ONNXGraph.Node, rank: Int, default value: Int) throws(InferenceError) -> Int {
        let axis = node.int("axis", default: value)
        let normalised = axis < 0 ? axis + rank : axis
        guard normalised >= 0, normalised < rank else { throw .invalidGraph("node \(node.name): axis \(axis) of a rank-\(rank) tensor") }
        return normalised
    }

    /// An element-wise step: `operands` broadcast to the output's shape.
    func compileElementMap(_ node: ONNXGraph.Node, operands: [(ElementMap.Operand, [Int])], output: Activation, _ operation: ElementMap.Operation) throws(InferenceError) {
        var offsets: [[Int32]] = []
        for (operand, shape) in operands {
            let strides: [Int] = switch operand {
            case .activation(let activation): activation.strides
            case .constant: Activation.rowMajorStrides(shape)
            }
            guard let broadcast = Activation.broadcastStrides(shape, strides: strides, to: output.shape) else {
                throw .unsupported(node: node.name, op: node.op, "an input of shape \(shape) does not broadcast to \(output.shape)")
            }
            offsets.append(Activation.offsets(shape: output.shape, strides: broadcast))
        }
        let outputOffsets = Activation.offsets(shape: output.shape, strides: output.strides)
        steps.append(.map(ElementMap(name: node.op, operands: operands.map(\.0), operandOffsets: offsets, output: output, outputOffsets: outputOffsets, operation: operation)))
    }

    /// A copy of `input` read through `strides` from `base` (a view: reshape, transpose, slice)
    /// into the part of `output` at `outputBase` with `shape`.
    private func compileMove(
        _ node: ONNXGraph.Node, input: Activation, shape: [Int], strides: [Int], base: Int = 0, output: Activation, outputBase: Int = 0
    ) {
        compileMove(node, operand: .activation(input), shape: shape, strides: strides, base: base, output: output, outputBase: outputBase)
    }

    private func compileMove(
        _ node: ONNXGraph.Node, operand: ElementMap.Operand, shape: [Int], strides: [Int], base: Int = 0, output: Activation, outputBase: Int = 0
    ) {
        let inputOffsets = Activation.offsets(shape: shape, strides: strides, base: base)
        let outputOffsets = Activation.offsets(shape: shape, strides: output.strides, base: outputBase)
        appendCopy(node, operand, from: inputOffsets, to: output, at: outputOffsets)
    }

    /// Element k of `operand` at `inputOffsets[k]` copied (requantised if need be) to `outputOffsets[k]` of `output`.
    private func appendCopy(_ node: ONNXGraph.Node, _ operand: ElementMap.Operand, from inputOffsets: [Int32], to output: Activation, at outputOffsets: [Int32]) {
        steps.append(.map(ElementMap(name: node.op, operands: [operand], operandOffsets: [inputOffsets], output: output, outputOffsets: outputOffsets, operation: .unary { $0 })))
    }

    /// A reshape in ONNX order (Reshape, Flatten, Squeeze, Unsqueeze, Identity): element k of the
    /// input is element k of the output, whatever either's storage layout.
    private func compileReshape(_ node: ONNXGraph.Node, _ context: OperatorContext, input: Activation, to shape: [Int]) throws(InferenceError) {
        guard shape.reduce(1, *) == input.count, shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidGraph("node \(node.name): cannot reshape \(input.shape) to \(shape)")
        }
        let output = try context.output(node, 0, shape)
        let inputOffsets = Activation.offsets(shape: input.shape, strides: input.strides)
        let outputOffsets = Activation.offsets(shape: shape, strides: output.strides)
        appendCopy(node, .activation(input), from: inputOffsets, to: output, at: outputOffsets)
    }

    func compileGeneric(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        if let function = Self.binaryFunctions[node.op], node.inputs.count == 2 {
            let lhs = try context.operand(node.inputs[0], node), rhs = try context.operand(node.inputs[1], node)
            guard let shape = Activation.broadcastShape([lhs.1, rhs.1]) else {
                throw .unsupported(node: node.name, op: node.op, "shapes \(lhs.1) and \(rhs.1) do not broadcast")
            }
            try compileElementMap(node, operands: [lhs, rhs], output: try context.output(node, 0, shape), .binary(function))
            return
        }
        if let function = try unaryFunction(node) {
            let input = try context.activation(node.inputs[0], node)
            let output = try context.output(node, 0, input.shape)
            if let from = input.quantized, let to = output.quantized {
                steps.append(.lookup(input: from, output: to, table: Self.lookupTable(from: from, to: to, function), function: .other(node.op)))
            } else {
                try compileElementMap(node, operands: [(.activation(input), input.shape)], output: output, .unary(function))
            }
            return
        }
        switch node.op {
        case "BatchNormalization":
            try compileBatchNormalization(node, context)
        case "ReduceMean", "ReduceMax", "ReduceSum":
            try compileReduction(node, context)
        case "Reshape":
            let input = try context.activation(node.inputs[0], node)
            guard node.inputs.count >= 2, let requested = int64s(node.inputs[1]) else {
                throw .unsupported(node: node.name, op: node.op, "the target shape must be an int64 constant")
            }
            var shape = requested.enumerated().map { index, size in
                size == 0 && node.int("allowzero", default: 0) == 0 && index < input.shape.count ? input.shape[index] : size
            }
            if let unknown = shape.firstIndex(of: -1) {
                let known = shape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
                guard known > 0, input.count % known == 0 else { throw .invalidGraph("node \(node.name): cannot reshape \(input.shape) to \(requested)") }
                shape[unknown] = input.count / known
            }
            try compileReshape(node, context, input: input, to: shape)
        case "Flatten":
            let input = try context.activation(node.inputs[0], node)
            let axis = node.int("axis", default: 1) < 0 ? node.int("axis", default: 1) + input.shape.count : node.int("axis", default: 1)
            guard axis >= 0, axis <= input.shape.count else { throw .invalidGraph("node \(node.name): axis \(axis) of \(input.shape)") }
            try compileReshape(node, context, input: input, to: [input.shape.prefix(axis).reduce(1, *), input.shape.suffix(from: axis).reduce(1, *)])
        case "Squeeze":
            let input = try context.activation(node.inputs[0], node)
            let removed = try axes(node, input: 1, rank: input.shape.count) ?? input.shape.indices.filter { input.shape[$0] == 1 }
            guard removed.allSatisfy({ input.shape[$0] == 1 }) else { throw .invalidGraph("node \(node.name): squeezes an axis of \(input.shape) that is not 1") }
            try compileReshape(node, context, input: input, to: input.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element))
        case "Unsqueeze":
            let input = try context.activation(node.inputs[0], node)
            let given = node.ints("axes") ?? (node.inputs.count > 1 ? int64s(node.inputs[1]) : nil)
            guard let count = given?.count, let added = try axes(node, input: 1, rank: input.shape.count + count) else {
                throw .unsupported(node: node.name, op: node.op, "axes must be an int64 constant")
            }
            var shape: [Int] = []
            var source = input.shape.makeIterator()
            for axis in 0..<(input.shape.count + added.count) { shape.append(added.contains(axis) ? 1 : source.next() ?? 1) }
            try compileReshape(node, context, input: input, to: shape)
        case "Transpose":
            let input = try context.activation(node.inputs[0], node)
            let rank = input.shape.count
            let permutation = node.ints("perm") ?? Array((0..<rank).reversed())
            guard permutation.sorted() == Array(0..<rank) else { throw .invalidGraph("node \(node.name): permutation \(permutation) of rank \(rank)") }
            let shape = permutation.map { input.shape[$0] }
            let strides = input.strides
            compileMove(node, input: input, shape: shape, strides: permutation.map { strides[$0] }, output: try context.output(node, 0, shape))
        case "Slice":
            try compileSlice(node, context)
        case "Split":
            try compileSplit(node, context)
        case "Concat":
            // Activations and constants (a transformer's class token).
            var parts: [(ElementMap.Operand, [Int])] = []
            for name in node.inputs { parts.append(try context.operand(name, node)) }
            let rank = parts[0].1.count
            let axis = try Self.axis(node, rank: rank, default: 1)
            func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != axis }.map(\.element) }
            guard parts.allSatisfy({ $0.1.count == rank && others($0.1) == others(parts[0].1) }) else {
                throw .invalidGraph("node \(node.name): cannot concatenate \(parts.map(\.1)) along axis \(axis)")
            }
            var shape = parts[0].1
            shape[axis] = parts.map { $0.1[axis] }.reduce(0, +)
            let output = try context.output(node, 0, shape)
            var offset = 0
            for (operand, partShape) in parts {
                let strides: [Int] = switch operand {
                case .activation(let activation): activation.strides
                case .constant: Activation.rowMajorStrides(partShape)
                }
                compileMove(node, operand: operand, shape: partShape, strides: strides, output: output, outputBase: offset * output.strides[axis])
                offset += partShape[axis]
            }
        case "MatMul":
            try compileMatrixProduct(node, context)
        case "Softmax", "LayerNormalization":
            try compileRows(node, context)
        case "Gather":
            try compileGather(node, context)
        default:
            throw .unsupported(node: node.name, op: node.op, "this operator is not supported by the box's runtime")
        }
    }

    /// y = x · scale / √(var + ε) + (B − mean · scale / √(var + ε)) per channel (axis 1), as ONNX
    /// Runtime's kernel computes it; the quantiser leaves mean and variance in float32.
    private func compileBatchNormalization(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        guard node.outputs.count == 1 || node.outputs.dropFirst().allSatisfy(\.isEmpty), node.int("training_mode", default: 0) == 0 else {
            throw .unsupported(node: node.name, op: node.op, "training mode (running statistics as outputs)")
        }
        let input = try context.activation(node.inputs[0], node)
        guard input.shape.count >= 2, node.inputs.count == 5 else { throw .invalidGraph("node \(node.name): input \(input.shape), \(node.inputs.count) inputs") }
        let channels = input.shape[1]
        var parameters: [[Float]] = []
        for name in node.inputs[1...4] {
            guard case (.constant(let values), _) = try context.operand(name, node), values.count == channels else {
                throw .unsupported(node: node.name, op: node.op, "scale, bias, mean and variance must be constants of \(channels) values")
            }
            parameters.append(values)
        }
        let epsilon = node.float("epsilon", default: 1e-5)
        let multipliers = (0..<channels).map { parameters[0][$0] / (parameters[3][$0] + epsilon).squareRoot() }
        let offsets = (0..<channels).map { parameters[1][$0] - parameters[2][$0] * multipliers[$0] }
        var perChannel = [Int](repeating: 1, count: input.shape.count)
        perChannel[1] = channels
        let output = try context.output(node, 0, input.shape)
        try compileElementMap(node, operands: [(.activation(input), input.shape), (.constant(multipliers), perChannel), (.constant(offsets), perChannel)],
                              output: output, .ternary { $0 * $1 + $2 })
    }

    private func compileReduction(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        guard let kind = Reduction.Kind(rawValue: node.op) else { throw .unsupported(node: node.name, op: node.op, "not a reduction") }
        let input = try context.activation(node.inputs[0], node)
        let rank = input.shape.count
        var reduced = try axes(node, input: 1, rank: rank)
        if reduced?.isEmpty ?? true {
            reduced = node.int("noop_with_empty_axes", default: 0) == 1 ? [] : Array(0..<rank)
        }
        let axes = Set(reduced ?? [])
        let keep = node.int("keepdims", default: 1) == 1
        let kept = input.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let shape = keep ? kept : input.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let output = try context.output(node, 0, shape)
        // Each input element's output element (ONNX order): the row-major index in the kept
        // shape, with stride 0 along the reduced axes.
        var targetStrides = Activation.rowMajorStrides(kept)
        for axis in axes { targetStrides[axis] = 0 }
        let reduction = Reduction(
            kind: kind, input: input, output: output,
            inputOffsets: Activation.offsets(shape: input.shape, strides: input.strides),
            targets: Activation.offsets(shape: input.shape, strides: targetStrides),
            outputOffsets: Activation.offsets(shape: shape, strides: output.strides),
            reducedCount: axes.map { input.shape[$0] }.reduce(1, *)
        )
        steps.append(.reduction(reduction))
    }

    private func compileSlice(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        let input = try context.activation(node.inputs[0], node)
        let rank = input.shape.count
        guard node.inputs.count >= 3, let starts = int64s(node.inputs[1]), let ends = int64s(node.inputs[2]) else {
            throw .unsupported(node: node.name, op: node.op, "starts and ends must be int64 constants")
        }
        let axes = try axes(node, input: 3, rank: rank) ?? Array(0..<starts.count)
        var sliceSteps = [Int](repeating: 1, count: starts.count)
        if node.inputs.count > 4, !node.inputs[4].isEmpty {
            guard let given = int64s(node.inputs[4]) else { throw .unsupported(node: node.name, op: node.op, "steps must be an int64 constant") }
            sliceSteps = given
        }
        guard axes.count == starts.count, ends.count == starts.count, sliceSteps.count == starts.count, !sliceSteps.contains(0) else {
            throw .invalidGraph("node \(node.name): starts \(starts), ends \(ends), axes \(axes), steps \(sliceSteps)")
        }
        var shape = input.shape, strides = input.strides, base = 0
        let inputStrides = input.strides
        for (i, axis) in axes.enumerated() {
            let size = input.shape[axis], step = sliceSteps[i]
            // ONNX's clamping: negative indices count from the end; a positive step clamps to
            // [0, size], a negative one to [-1, size - 1].
            func clamp(_ value: Int) -> Int {
                let v = value < 0 ? value + size : value
                return step > 0 ? min(max(v, 0), size) : min(max(v, -1), size - 1)
            }
            let start = clamp(starts[i]), end = clamp(ends[i])
            let count = step > 0 ? max(0, (end - start + step - 1) / step) : max(0, (start - end - step - 1) / -step)
            shape[axis] = count
            strides[axis] = inputStrides[axis] * step
            base += start * inputStrides[axis]
        }
        guard shape.allSatisfy({ $0 > 0 }) else { throw .unsupported(node: node.name, op: node.op, "an empty slice (\(shape))") }
        compileMove(node, input: input, shape: shape, strides: strides, base: base, output: try context.output(node, 0, shape))
    }

    private func compileSplit(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        let input = try context.activation(node.inputs[0], node)
        let axis = try Self.axis(node, rank: input.shape.count, default: 0)
        var sizes: [Int]
        if node.inputs.count > 1, !node.inputs[1].isEmpty {
            guard let given = int64s(node.inputs[1]) else { throw .unsupported(node: node.name, op: node.op, "split must be an int64 constant") }
            sizes = given
        } else if let given = node.ints("split") {
            sizes = given
        } else {
            let parts = node.outputs.count, length = input.shape[axis]
            let chunk = (length + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(0, length - $0 * chunk)) }
        }
        guard sizes.count == node.outputs.count, sizes.reduce(0, +) == input.shape[axis], sizes.allSatisfy({ $0 > 0 }) else {
            throw .invalidGraph("node \(node.name): split \(sizes) of \(input.shape[axis]) into \(node.outputs.count) outputs")
        }
        var start = 0
        for (index, size) in sizes.enumerated() {
            var shape = input.shape
            shape[axis] = size
            compileMove(node, input: input, shape: shape, strides: input.strides, base: start * input.strides[axis], output: try context.output(node, index, shape))
            start += size
        }
    }

    /// Gather with constant indices (a class token, one row of a table): a copy through an index table.
    private func compileGather(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        let input = try context.activation(node.inputs[0], node)
        guard node.inputs.count == 2, let constant = graphConstants[node.inputs[1]], let raw = constant.floats else {
            throw .unsupported(node: node.name, op: node.op, "the indices must be a constant")
        }
        let axis = try Self.axis(node, rank: input.shape.count, default: 0)
        let length = input.shape[axis]
        let indices = raw.map { Int($0) < 0 ? Int($0) + length : Int($0) }
        guard indices.allSatisfy({ $0 >= 0 && $0 < length }) else { throw .invalidGraph("node \(node.name): an index outside 0..<\(length)") }
        let shape = Array(input.shape.prefix(axis)) + constant.dims + Array(input.shape.suffix(from: axis + 1))
        let output = try context.output(node, 0, shape)
        let strides = input.strides
        let outer = Activation.offsets(shape: Array(input.shape.prefix(axis)), strides: Array(strides.prefix(axis)))
        let inner = Activation.offsets(shape: Array(input.shape.suffix(from: axis + 1)), strides: Array(strides.suffix(from: axis + 1)))
        var inputOffsets: [Int32] = []
        inputOffsets.reserveCapacity(outer.count * indices.count * inner.count)
        for o in outer { for index in indices { for i in inner { inputOffsets.append(o + Int32(index * strides[axis]) + i) } } }
        let outputOffsets = Activation.offsets(shape: shape, strides: output.strides)
        appendCopy(node, .activation(input), from: inputOffsets, to: output, at: outputOffsets)
    }

    func compileTransposedConvolution(
        _ node: ONNXGraph.Node, view: (String, ONNXGraph.Node) throws(InferenceError) -> QuantizedBuffer,
        constants: [String: DequantizedConstant],
        output: (ONNXGraph.Node, [Int]) throws(InferenceError) -> QuantizedBuffer
    ) throws(InferenceError) {
        let input = try view(node.inputs[0], node)
        guard input.isImage else { throw .unsupported(node: node.name, op: node.op, "only 2-D (input rank \(input.shape.count))") }
        guard node.inputs.count >= 2, let weight = constants[node.inputs[1]], case .int8(let kernel) = weight.constant.values,
              weight.constant.dims.count == 4, weight.quantization.zeroPoints.allSatisfy({ $0 == 0 }) else {
            throw .unsupported(node: node.name, op: node.op, "weights must be symmetric int8 constants behind DequantizeLinear")
        }
        guard node.attributes["output_shape"] == nil, (node.string("auto_pad") ?? "NOTSET") == "NOTSET" else {
            throw .unsupported(node: node.name, op: node.op, "output_shape and auto_pad (give pads and output_padding)")
        }
        let dims = weight.constant.dims
        let (inChannels, groupOutput, kh, kw) = (dims[0], dims[1], dims[2], dims[3])
        let groups = node.int("group", default: 1)
        let (n, h, w, c) = input.nhwc
        guard groups > 0, c == inChannels, c % groups == 0 else {
            throw .unsupported(node: node.name, op: node.op, "weights \(dims) do not fit \(c) input channels in \(groups) group(s)")
        }
        let outChannels = groupOutput * groups
        let quantization = weight.quantization
        guard quantization.scales.count == 1 || (quantization.scales.count == groupOutput && quantization.axis == 1) else {
            throw .unsupported(node: node.name, op: node.op, "weights must be quantised per tensor or per output channel (axis 1)")
        }
        let strides = node.ints("strides") ?? [1, 1], dilations = node.ints("dilations") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0], outputPadding = node.ints("output_padding") ?? [0, 0]
        guard strides.count == 2, dilations.count == 2, pads.count == 4, outputPadding.count == 2, strides.allSatisfy({ $0 > 0 }) else {
            throw .unsupported(node: node.name, op: node.op, "only 2-D strides, dilations, pads and output_padding")
        }
        let oh = strides[0] * (h - 1) + outputPadding[0] + (kh - 1) * dilations[0] + 1 - pads[0] - pads[2]
        let ow = strides[1] * (w - 1) + outputPadding[1] + (kw - 1) * dilations[1] + 1 - pads[1] - pads[3]
        guard oh > 0, ow > 0 else { throw .invalidGraph("node \(node.name): output of \(oh)×\(ow)") }
        let scales = (0..<outChannels).map { quantization.scales.count == 1 ? quantization.scales[0] : quantization.scales[$0 % groupOutput] }
        // [input channel][out of group][ky][kx] → [input channel][ky][kx][out of group]
        var packed = [Int32](repeating: 0, count: kernel.count)
        for i in 0..<inChannels { for o in 0..<groupOutput { for y in 0..<kh { for x in 0..<kw {
            packed[((i * kh + y) * kw + x) * groupOutput + o] = Int32(kernel[((i * groupOutput + o) * kh + y) * kw + x])
        } } } }
        var bias = [Int32](repeating: 0, count: outChannels)
        if node.inputs.count >= 3, !node.inputs[2].isEmpty {
            guard let constant = constants[node.inputs[2]], constant.floats.count == outChannels else {
                throw .unsupported(node: node.name, op: node.op, "the bias must be a constant of \(outChannels) values behind DequantizeLinear")
            }
            bias = Self.accumulatorBias(constant.floats, inputScale: input.scale, weightScales: scales)
        }
        let result = try output(node, [n, outChannels, oh, ow])
        let geometry = TransposedConvolution.Geometry(
            kernel: (kh, kw), stride: (strides[0], strides[1]), dilation: (dilations[0], dilations[1]), padTop: pads[0], padLeft: pads[1],
            groups: groups, groupInputChannels: c / groups, groupOutputChannels: groupOutput
        )
        steps.append(.transposedConvolution(TransposedConvolution(
            geometry: geometry, input: input, output: result, kernel: packed,
            multipliers: scales.map { Double(input.scale) * Double($0) }, bias: bias
        )))
    }

    /// MatMul with numpy's batching and broadcasting of the leading axes.
    private func compileMatrixProduct(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        let (lhs, lhsShape) = try context.operand(node.inputs[0], node)
        let (rhs, rhsShape) = try context.operand(node.inputs[1], node)
        guard lhsShape.count >= 2, rhsShape.count >= 2, lhsShape[lhsShape.count - 1] == rhsShape[rhsShape.count - 2],
              let batch = Activation.broadcastShape([Array(lhsShape.dropLast(2)), Array(rhsShape.dropLast(2))]) else {
            throw .unsupported(node: node.name, op: node.op, "shapes \(lhsShape) and \(rhsShape) (both of rank 2 or more, inner sizes equal)")
        }
        let (m, k, n) = (lhsShape[lhsShape.count - 2], lhsShape[lhsShape.count - 1], rhsShape[rhsShape.count - 1])
        let output = try context.output(node, 0, batch + [m, n])
        func offsets(_ operand: ElementMap.Operand, _ shape: [Int], rows: Int, columns: Int) throws(InferenceError) -> [Int32] {
            let strides: [Int] = switch operand {
            case .activation(let activation): activation.strides
            case .constant: Activation.rowMajorStrides(shape)
            }
            guard let broadcast = Activation.broadcastStrides(shape, strides: strides, to: batch + [rows, columns]) else {
                throw .unsupported(node: node.name, op: node.op, "\(shape) does not broadcast to the batch \(batch)")
            }
            return Activation.offsets(shape: batch + [rows, columns], strides: broadcast)
        }
        steps.append(.matrixProduct(MatrixProduct(
            lhs: lhs, rhs: rhs, lhsOffsets: try offsets(lhs, lhsShape, rows: m, columns: k), rhsOffsets: try offsets(rhs, rhsShape, rows: k, columns: n),
            output: output, outputOffsets: Activation.offsets(shape: batch + [m, n], strides: output.strides), m: m, k: k, n: n
        )))
    }

    /// Softmax over one axis (opset 13) or the trailing axes from `axis` (before), and
    /// LayerNormalization over the trailing axes from `axis`.
    private func compileRows(_ node: ONNXGraph.Node, _ context: OperatorContext) throws(InferenceError) {
        let input = try context.activation(node.inputs[0], node)
        let rank = input.shape.count
        let isSoftmax = node.op == "Softmax"
        let axis = try Self.axis(node, rank: rank, default: isSoftmax && opsetVersion < 13 ? 1 : -1)
        let rowAxes = isSoftmax && opsetVersion >= 13 ? [axis] : Array(axis..<rank)
        let length = rowAxes.map { input.shape[$0] }.reduce(1, *)
        var kind = RowOperation.Kind.softmax
        if !isSoftmax {
            guard node.outputs.dropFirst().allSatisfy(\.isEmpty) else { throw .unsupported(node: node.name, op: node.op, "the Mean and InvStdDev outputs") }
            guard node.inputs.count >= 2, case (.constant(let scale), _) = try context.operand(node.inputs[1], node), scale.count == length || scale.count == 1 else {
                throw .unsupported(node: node.name, op: node.op, "the scale must be a constant of \(length) values")
            }
            var bias = [Float](repeating: 0, count: length)
            if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                guard case (.constant(let given), _) = try context.operand(node.inputs[2], node), given.count == length || given.count == 1 else {
                    throw .unsupported(node: node.name, op: node.op, "the bias must be a constant of \(length) values")
                }
                bias = given.count == 1 ? [Float](repeating: given[0], count: length) : given
            }
            kind = .layerNormalization(scale: scale.count == 1 ? [Float](repeating: scale[0], count: length) : scale, bias: bias, epsilon: node.float("epsilon", default: 1e-5))
        }
        let output = try context.output(node, 0, input.shape)
        var rowShape = input.shape
        for axis in rowAxes { rowShape[axis] = 1 }
        let inputStrides = input.strides, outputStrides = output.strides
        steps.append(.rows(RowOperation(
            kind: kind, input: input, output: output,
            inputRows: Activation.offsets(shape: rowShape, strides: inputStrides), outputRows: Activation.offsets(shape: rowShape, strides: outputStrides),
            inputElements: Activation.offsets(shape: rowAxes.map { input.shape[$0] }, strides: rowAxes.map { inputStrides[$0] }),
            outputElements: Activation.offsets(shape: rowAxes.map { input.shape[$0] }, strides: rowAxes.map { outputStrides[$0] })
        )))
    }
}
