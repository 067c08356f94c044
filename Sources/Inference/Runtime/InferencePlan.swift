import Foundation

/// A QDQ ONNX graph compiled for the box: every activation an int8 buffer allocated once, every
/// convolution a packed XNNPACK operator bound to its buffers, the rest small int8 steps.
///
/// The compiler reads the QDQ form the way ONNX Runtime's quantiser writes it: a compute node
/// takes DequantizeLinear outputs (of activations or of int8 weights) and feeds only
/// QuantizeLinear nodes; that whole group becomes one int8 step. Anything else is refused at
/// load, naming the node and operator.
final class InferencePlan {
    let inputs: [TensorSpec]
    let outputs: [TensorSpec]
    /// Internal (not private) for the operators compiled in InferencePlan+GenericOperators.swift.
    var steps: [InferenceStep] = []
    var buffers: [QuantizedBuffer] = []
    private var outputBuffers: [String: QuantizedBuffer] = [:]
    /// Graph outputs the quantiser left in float32.
    private var floatOutputs: [String: FloatBuffer] = [:]
    /// The graph's constants (initializers), for operator inputs that must be constant.
    var graphConstants: [String: ONNXGraph.Constant] = [:]
    var opsetVersion = 0
    let pool: ThreadPool

    /// Scale and zero point of a QuantizeLinear/DequantizeLinear node (per tensor or per axis).
    struct Quantization {
        var scales: [Float]
        var zeroPoints: [Int32]
        var axis: Int
        /// uint8 zero points are shifted by −128: the same arithmetic on int8 storage.
        var shiftedFromUInt8: Bool
    }

    /// A constant seen through DequantizeLinear (weights, biases).
    struct DequantizedConstant {
        var constant: ONNXGraph.Constant
        var quantization: Quantization

        /// Index of the quantisation parameters for element `index` (per-axis or per-tensor).
        func parameterIndex(_ index: Int) -> Int {
            guard quantization.scales.count > 1 else { return 0 }
            let inner = constant.dims.suffix(from: quantization.axis + 1).reduce(1, *)
            return (index / inner) % constant.dims[quantization.axis]
        }

        var floats: [Float] {
            let raw = constant.floats ?? []
            // A uint8 constant's zero points were shifted by −128 (Quantization); so are its values.
            let shift: Float = quantization.shiftedFromUInt8 ? 128 : 0
            return raw.enumerated().map { index, value in
                let p = parameterIndex(index)
                return quantization.scales[p] * (value - shift - Float(quantization.zeroPoints[p]))
            }
        }
    }

    init(graph: ONNXGraph, threads: Int) throws(InferenceError) {
        inputs = graph.inputs
        outputs = graph.outputs
        pool = ThreadPool(threads: threads)
        graphConstants = graph.constants
        opsetVersion = graph.opsetVersion
        try XNNPACK.initialize()

        var quantized: [String: QuantizedBuffer] = [:]      // QuantizeLinear outputs
        var views: [String: QuantizedBuffer] = [:]          // DequantizeLinear outputs of activations
        var floats: [String: FloatBuffer] = [:]             // outputs of operators left in float32
        var constants: [String: DequantizedConstant] = [:]  // DequantizeLinear outputs of constants
        var consumers: [String: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { consumers[input, default: []].append(index) }
        }
        var fused = Set<Int>()
        func allQuantized(_ name: String) -> Bool {
            let users = consumers[name] ?? []
            return !users.isEmpty && users.allSatisfy { graph.nodes[$0].op == "QuantizeLinear" }
        }
        let graphInputs = Dictionary(graph.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        func quantization(of node: ONNXGraph.Node) throws(InferenceError) -> Quantization {
            guard node.inputs.count >= 2, let scale = graph.constants[node.inputs[1]], let scales = scale.floats, !scales.isEmpty else {
                throw .unsupported(node: node.name, op: node.op, "its scale is not a constant")
            }
            var zeroPoints = [Int32](repeating: 0, count: scales.count)
            var shifted = false
            if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                guard let zero = graph.constants[node.inputs[2]] else {
                    throw .unsupported(node: node.name, op: node.op, "its zero point is not a constant")
                }
                switch zero.values {
                case .int8(let v): zeroPoints = v.map(Int32.init)
                case .uint8(let v): zeroPoints = v.map { Int32($0) - 128 }; shifted = true
                case .int32(let v): zeroPoints = v
                default: throw .unsupported(node: node.name, op: node.op, "zero points of this type are not supported (int8, uint8 or int32)")
                }
                guard zeroPoints.count == scales.count else { throw .invalidGraph("node \(node.name): \(scales.count) scales, \(zeroPoints.count) zero points") }
            }
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw .unsupported(node: node.name, op: node.op, "a scale is not a positive number") }
            return Quantization(scales: scales, zeroPoints: zeroPoints, axis: node.int("axis", default: 1), shiftedFromUInt8: shifted)
        }

        func view(_ name: String, for node: ONNXGraph.Node) throws(InferenceError) -> QuantizedBuffer {
            guard let buffer = views[name] else {
                throw .unsupported(node: node.name, op: node.op, "input \(name) is not a dequantised int8 activation (only QDQ graphs run here)")
            }
            return buffer
        }

        /// The QuantizeLinear nodes that take `output`: the step writes one buffer for them all.
        func outputBuffer(of node: ONNXGraph.Node, shape: [Int]) throws(InferenceError) -> QuantizedBuffer {
            try outputBuffer(of: node, index: 0, shape: shape)
        }

        func outputBuffer(of node: ONNXGraph.Node, index: Int, shape: [Int]) throws(InferenceError) -> QuantizedBuffer {
            guard index < node.outputs.count, case let output = node.outputs[index], let users = consumers[output], !users.isEmpty,
                  users.allSatisfy({ graph.nodes[$0].op == "QuantizeLinear" }) else {
                throw .unsupported(node: node.name, op: node.op, "its output is not (only) quantised by QuantizeLinear")
            }
            let first = try quantization(of: graph.nodes[users[0]])
            guard first.scales.count == 1 else { throw .unsupported(node: node.name, op: node.op, "its output is quantised per axis") }
            for user in users.dropFirst() {
                let other = try quantization(of: graph.nodes[user])
                guard other.scales == first.scales, other.zeroPoints == first.zeroPoints else {
                    throw .unsupported(node: node.name, op: node.op, "its output is quantised twice, differently")
                }
            }
            let buffer = QuantizedBuffer(shape: shape, scale: first.scales[0], zeroPoint: first.zeroPoints[0])
            buffers.append(buffer)
            for user in users {
                fused.insert(user)
                quantized[graph.nodes[user].outputs[0]] = buffer
            }
            return buffer
        }

        /// Output `index` of `node`: int8 when only QuantizeLinear nodes take it, else float32
        /// (an operator the quantiser left in float, feeding another or the graph's output).
        func outputActivation(of node: ONNXGraph.Node, index: Int, shape: [Int]) throws(InferenceError) -> Activation {
            let name = node.outputs[index]
            if allQuantized(name) { return .quantized(try outputBuffer(of: node, index: index, shape: shape)) }
            let buffer = FloatBuffer(shape: shape)
            floats[name] = buffer
            return .float(buffer)
        }

        func activation(_ name: String, for node: ONNXGraph.Node) throws(InferenceError) -> Activation {
            if let buffer = views[name] { return .quantized(buffer) }
            if let buffer = floats[name] { return .float(buffer) }
            throw .unsupported(node: node.name, op: node.op, "input \(name) is neither a dequantised int8 activation nor a float32 one")
        }

        /// An operand of an element-wise operator: an activation or a constant (dequantised).
        func operand(_ name: String, for node: ONNXGraph.Node) throws(InferenceError) -> (ElementMap.Operand, [Int]) {
            if let constant = constants[name] { return (.constant(constant.floats), constant.constant.dims) }
            if let constant = graph.constants[name], let values = constant.floats { return (.constant(values), constant.dims) }
            let value = try activation(name, for: node)
            return (.activation(value), value.shape)
        }

        let context = OperatorContext(activation: activation, operand: operand, output: outputActivation)

        for (index, node) in graph.nodes.enumerated() {
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw .unsupported(node: node.name, op: node.op, "operator domain \(node.domain) is not supported")
            }
            // The forms the specialised steps below take; any other goes to the generic steps.
            guard !node.inputs.isEmpty, !node.outputs.isEmpty else { throw .invalidGraph("node \(node.name) (\(node.op)) has no input or no output") }
            let input = views[node.inputs[0]]
            let second = node.inputs.count > 1 ? node.inputs[1] : ""
            let specialised = switch node.op {
            case "Reshape": input != nil && graph.constants[second]?.count == 2
            case "Softmax", "Flatten": input != nil && node.int("axis", default: node.op == "Softmax" && graph.opsetVersion >= 13 ? -1 : 1) == 1
                || (node.op == "Softmax" && input?.shape.count == 2 && node.int("axis", default: -1) == -1)
            case "Concat": Self.isChannelConcat(node, views: views)
            case "MatMul": input?.shape.count == 2 && constants[second]?.constant.dims.count == 2
            case "Sigmoid", "Relu", "Clip": input != nil && allQuantized(node.outputs[0])
            case "Add", "Mul": input != nil && input?.shape == views[second]?.shape && allQuantized(node.outputs[0])
            default: true
            }
            if !specialised {
                try compileGeneric(node, context)
                continue
            }
            switch node.op {
            case "DequantizeLinear":
                let source = node.inputs[0]
                let q = try quantization(of: node)
                if let constant = graph.constants[source] {
                    constants[node.outputs[0]] = DequantizedConstant(constant: constant, quantization: q)
                } else if let buffer = quantized[source] {
                    guard q.scales == [buffer.scale], q.zeroPoints == [buffer.zeroPoint] else {
                        throw .unsupported(node: node.name, op: node.op, "dequantises with other parameters than its QuantizeLinear")
                    }
                    views[node.outputs[0]] = buffer
                } else {
                    throw .unsupported(node: node.name, op: node.op, "input \(source) is neither a constant nor a quantised activation")
                }
            case "QuantizeLinear":
                if fused.contains(index) { continue }
                let source = node.inputs[0]
                let q = try quantization(of: node)
                guard q.scales.count == 1 else { throw .unsupported(node: node.name, op: node.op, "per-axis quantisation of an activation") }
                if let spec = graphInputs[source] {
                    let buffer = QuantizedBuffer(shape: spec.shape, scale: q.scales[0], zeroPoint: q.zeroPoints[0])
                    buffers.append(buffer)
                    quantized[node.outputs[0]] = buffer
                    steps.append(.quantizeInput(name: source, output: buffer))
                } else if let input = views[source] {
                    let buffer = QuantizedBuffer(shape: input.shape, scale: q.scales[0], zeroPoint: q.zeroPoints[0])
                    buffers.append(buffer)
                    quantized[node.outputs[0]] = buffer
                    steps.append(.lookup(input: input, output: buffer, table: Self.lookupTable(from: input, to: buffer) { $0 }, function: .requantize))
                } else if let input = floats[source] {
                    let buffer = QuantizedBuffer(shape: input.shape, scale: q.scales[0], zeroPoint: q.zeroPoints[0])
                    buffers.append(buffer)
                    quantized[node.outputs[0]] = buffer
                    try compileElementMap(node, operands: [(.activation(.float(input)), input.shape)], output: .quantized(buffer), .unary { $0 })
                } else {
                    throw .unsupported(node: node.name, op: node.op, "input \(source) is neither a graph input nor a dequantised activation")
                }
            case "Conv":
                try compileConvolution(node, view: view, constants: constants, output: outputBuffer)
            case "GlobalAveragePool":
                let input = try view(node.inputs[0], for: node)
                guard input.isImage else { throw .unsupported(node: node.name, op: node.op, "input of rank \(input.shape.count)") }
                let output = try outputBuffer(of: node, shape: [input.shape[0], input.shape[1], 1, 1])
                steps.append(.globalAveragePool(input: input, output: output))
            case "MaxPool":
                let input = try view(node.inputs[0], for: node)
                guard node.outputs.count == 1 else { throw .unsupported(node: node.name, op: node.op, "the indices output is not supported") }
                let window = try poolWindow(node, input: input)
                let (n, _, _, c) = input.nhwc
                let output = try outputBuffer(of: node, shape: [n, c, window.outputHeight, window.outputWidth])
                steps.append(.maxPool(input: input, output: output, window: window.window))
            case "AveragePool":
                let input = try view(node.inputs[0], for: node)
                let window = try poolWindow(node, input: input)
                let (n, _, _, c) = input.nhwc
                let output = try outputBuffer(of: node, shape: [n, c, window.outputHeight, window.outputWidth])
                steps.append(.averagePool(input: input, output: output, window: window.window, countIncludePad: node.int("count_include_pad", default: 0) == 1))
            case "Resize":
                try compileResize(node, view: view, output: outputBuffer)
            case "Reshape":
                let input = try view(node.inputs[0], for: node)
                guard node.inputs.count >= 2, case .int64(let requested)? = graph.constants[node.inputs[1]]?.values else {
                    throw .unsupported(node: node.name, op: node.op, "the target shape must be an int64 constant")
                }
                var shape = requested.enumerated().map { index, size in size == 0 && node.int("allowzero", default: 0) == 0 && index < input.shape.count ? input.shape[index] : Int(size) }
                if let unknown = shape.firstIndex(of: -1) {
                    let known = shape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
                    guard known > 0, input.count % known == 0 else { throw .invalidGraph("node \(node.name): cannot reshape \(input.shape) to \(requested)") }
                    shape[unknown] = input.count / known
                }
                guard shape.reduce(1, *) == input.count, shape.allSatisfy({ $0 > 0 }) else {
                    throw .invalidGraph("node \(node.name): cannot reshape \(input.shape) to \(requested)")
                }
                // Storage is NHWC for rank 4: a reshape to rank 2 (the classifier's input) is a
                // flatten in ONNX order; other layouts would need a transpose the box does not do.
                guard shape.count == 2 || (shape == input.shape) else {
                    throw .unsupported(node: node.name, op: node.op, "only a reshape to rank 2 (\(input.shape) → \(shape))")
                }
                let output = try outputBuffer(of: node, shape: shape)
                steps.append(.flatten(input: input, output: output))
            case "Softmax":
                let input = try view(node.inputs[0], for: node)
                let rank = input.shape.count
                var axis = node.int("axis", default: graph.opsetVersion >= 13 ? -1 : 1)
                if axis < 0 { axis += rank }
                // The axis whose values are contiguous in storage: the last of a matrix, channels of an image.
                guard (rank == 2 && axis == 1) || (rank == 4 && axis == 1) else {
                    throw .unsupported(node: node.name, op: node.op, "axis \(axis) of a rank-\(rank) input (only the classes of [N, C] or the channels of an image)")
                }
                let output = try outputBuffer(of: node, shape: input.shape)
                steps.append(.softmax(input: input, output: output))
            case "Flatten":
                let input = try view(node.inputs[0], for: node)
                let axis = node.int("axis", default: 1)
                guard axis == 1 else { throw .unsupported(node: node.name, op: node.op, "axis \(axis) (only 1)") }
                let output = try outputBuffer(of: node, shape: [input.shape[0], input.count / input.shape[0]])
                steps.append(.flatten(input: input, output: output))
            case "Concat":
                var parts: [QuantizedBuffer] = []
                for name in node.inputs { parts.append(try view(name, for: node)) }
                var shape = parts[0].shape
                shape[1] = parts.map { $0.shape[1] }.reduce(0, +)
                let output = try outputBuffer(of: node, shape: shape)
                steps.append(.concat(inputs: parts, output: output))
            case "Gemm", "MatMul":
                try compileGemm(node, view: view, constants: constants, output: outputBuffer)
            case "Sigmoid", "Relu", "Clip":
                let input = try view(node.inputs[0], for: node)
                let output = try outputBuffer(of: node, shape: input.shape)
                let (low, high) = try clipBounds(node)
                let function: InferenceStep.ElementFunction = node.op == "Sigmoid" ? .sigmoid : node.op == "Relu" ? .clamp(low: 0, high: .infinity) : .clamp(low: low, high: high)
                guard let values = try unaryFunction(node) else { throw .invalidGraph("node \(node.name): no function for \(node.op)") }
                steps.append(.lookup(input: input, output: output, table: Self.lookupTable(from: input, to: output, values), function: function))
            case "Add", "Mul":
                let lhs = try view(node.inputs[0], for: node)
                let rhs = try view(node.inputs[1], for: node)
                guard lhs.shape == rhs.shape else { throw .unsupported(node: node.name, op: node.op, "broadcasting \(lhs.shape) with \(rhs.shape)") }
                let output = try outputBuffer(of: node, shape: lhs.shape)
                steps.append(.binary(lhs: lhs, rhs: rhs, output: output, multiply: node.op == "Mul"))
            case "ConvTranspose":
                try compileTransposedConvolution(node, view: view, constants: constants, output: outputBuffer)
            default:
                try compileGeneric(node, context)
            }
        }
        for output in graph.outputs {
            if let buffer = views[output.name] {
                outputBuffers[output.name] = buffer
            } else if let buffer = floats[output.name] {
                floatOutputs[output.name] = buffer
            } else {
                throw .unsupported(node: output.name, op: "graph output", "outputs must be DequantizeLinear of an int8 activation or an operator's float32 output")
            }
        }
        self.outputsResolved = graph.outputs.map { TensorSpec(name: $0.name, shape: outputBuffers[$0.name]?.shape ?? floatOutputs[$0.name]!.shape) }
        try groupIntoSubgraphs()
    }

    /// Steps run inside XNNPACK subgraph runtimes, out of all steps (for the load log).
    private(set) var subgraphNodeCount = 0
    /// Why XNNPACK refused a run of steps (they then run step by step), for the load log.
    private(set) var subgraphRefusals: [String] = []

    /// Each run of consecutive steps that XNNPACK's subgraph API can run becomes one runtime. A
    /// run that XNNPACK refuses as a whole is tried step by step; a step it refuses alone stays
    /// a step of its own (a convolution then packs into an operator of its own).
    private func groupIntoSubgraphs() throws(InferenceError) {
        let graphOutputs = Set(outputBuffers.values.map(ObjectIdentifier.init))
        func readers(_ later: ArraySlice<InferenceStep>, plus base: Set<ObjectIdentifier>) -> Set<ObjectIdentifier> {
            var keep = base
            for step in later { for buffer in step.reads { keep.insert(ObjectIdentifier(buffer)) } }
            return keep
        }
        var grouped: [InferenceStep] = []
        var start = 0
        while start < steps.count {
            guard XNNPACKSubgraph.canRun(steps[start]) else {
                grouped.append(steps[start])
                start += 1
                continue
            }
            var end = start
            while end < steps.count, XNNPACKSubgraph.canRun(steps[end]) { end += 1 }
            let keep = readers(steps[end...], plus: graphOutputs)
            do {
                let subgraph = try XNNPACKSubgraph(steps: Array(steps[start..<end]), keep: keep, pool: pool)
                grouped.append(.subgraph(subgraph))
                subgraphNodeCount += subgraph.nodeCount
            } catch {
                subgraphRefusals.append("steps \(start)..<\(end): \(error)")
                for index in start..<end {
                    let alone = readers(steps[(index + 1)..<end], plus: keep)
                    do {
                        grouped.append(.subgraph(try XNNPACKSubgraph(steps: [steps[index]], keep: alone, pool: pool)))
                        subgraphNodeCount += 1
                    } catch {
                        subgraphRefusals.append("step \(index): \(error)")
                        grouped.append(steps[index])
                    }
                }
            }
            start = end
        }
        for step in grouped {
            if case .convolution(let convolution) = step { try convolution.bindOperator(pool: pool) }
        }
        steps = grouped
    }

    private(set) var outputsResolved: [TensorSpec] = []

    /// The window of a 2-D MaxPool or AveragePool and the size of its output.
    private func poolWindow(_ node: ONNXGraph.Node, input: QuantizedBuffer) throws(InferenceError) -> (window: InferenceStep.PoolWindow, outputHeight: Int, outputWidth: Int) {
        guard input.isImage, let kernel = node.ints("kernel_shape"), kernel.count == 2 else {
            throw .unsupported(node: node.name, op: node.op, "only 2-D pooling of an image")
        }
        guard node.int("ceil_mode", default: 0) == 0, (node.ints("dilations") ?? [1, 1]) == [1, 1] else {
            throw .unsupported(node: node.name, op: node.op, "ceil_mode and dilations are not supported")
        }
        guard node.string("auto_pad").map({ $0 == "NOTSET" || $0 == "VALID" }) ?? true else {
            throw .unsupported(node: node.name, op: node.op, "auto_pad \(node.string("auto_pad") ?? "")")
        }
        let strides = node.ints("strides") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, pads.count == 4, strides.allSatisfy({ $0 > 0 }) else { throw .invalidGraph("node \(node.name): strides \(strides), pads \(pads)") }
        let (_, h, w, _) = input.nhwc
        let oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1
        let ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1
        guard oh > 0, ow > 0 else { throw .unsupported(node: node.name, op: node.op, "the window is larger than the image") }
        return (.init(kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]), padTop: pads[0], padLeft: pads[1]), oh, ow)
    }

    /// Resize of an image's height and width (N and C unchanged) by constant scales or sizes.
    private func compileResize(
        _ node: ONNXGraph.Node, view: (String, ONNXGraph.Node) throws(InferenceError) -> QuantizedBuffer,
        output: (ONNXGraph.Node, [Int]) throws(InferenceError) -> QuantizedBuffer
    ) throws(InferenceError) {
        let input = try view(node.inputs[0], node)
        guard input.isImage else { throw .unsupported(node: node.name, op: node.op, "only images (rank 4)") }
        let (n, h, w, c) = input.nhwc
        var outHeight = 0, outWidth = 0
        var scaleY: Float = 0, scaleX: Float = 0
        if node.inputs.count >= 3, !node.inputs[2].isEmpty, let scales = graphConstants[node.inputs[2]]?.floats, scales.count == 4 {
            guard scales[0] == 1, scales[1] == 1, scales[2] > 0, scales[3] > 0 else {
                throw .unsupported(node: node.name, op: node.op, "scales \(scales): only height and width may change")
            }
            (scaleY, scaleX) = (scales[2], scales[3])
            (outHeight, outWidth) = (Int((Float(h) * scaleY).rounded(.down)), Int((Float(w) * scaleX).rounded(.down)))
        } else if node.inputs.count >= 4, case .int64(let sizes)? = graphConstants[node.inputs[3]]?.values, sizes.count == 4 {
            guard Int(sizes[0]) == n, Int(sizes[1]) == c else { throw .unsupported(node: node.name, op: node.op, "sizes \(sizes): only height and width may change") }
            (outHeight, outWidth) = (Int(sizes[2]), Int(sizes[3]))
            (scaleY, scaleX) = (Float(outHeight) / Float(h), Float(outWidth) / Float(w))
        } else {
            throw .unsupported(node: node.name, op: node.op, "scales or sizes must be constants of 4 values")
        }
        guard outHeight > 0, outWidth > 0 else { throw .invalidGraph("node \(node.name): resize of \(h)x\(w) to \(outHeight)x\(outWidth)") }
        let mode = node.string("mode") ?? "nearest"
        guard let interpolation = InferenceStep.ResizeMode(onnx: mode, nearestMode: node.string("nearest_mode") ?? "round_prefer_floor") else {
            throw .unsupported(node: node.name, op: node.op, "mode \(mode) with nearest_mode \(node.string("nearest_mode") ?? "") (nearest and linear are supported)")
        }
        let transform = node.string("coordinate_transformation_mode") ?? "half_pixel"
        guard let coordinates = InferenceStep.ResizeCoordinates(rawValue: transform) else {
            throw .unsupported(node: node.name, op: node.op, "coordinate_transformation_mode \(transform)")
        }
        let result = try output(node, [n, c, outHeight, outWidth])
        let rows = (0..<outHeight).map { coordinates.source($0, scale: scaleY, inputLength: h, outputLength: outHeight) }
        let columns = (0..<outWidth).map { coordinates.source($0, scale: scaleX, inputLength: w, outputLength: outWidth) }
        steps.append(.resize(input: input, output: result, rows: interpolation.taps(rows, length: h), columns: interpolation.taps(columns, length: w)))
    }

    private func compileConvolution(
        _ node: ONNXGraph.Node, view: (String, ONNXGraph.Node) throws(InferenceError) -> QuantizedBuffer,
        constants: [String: DequantizedConstant],
        output: (ONNXGraph.Node, [Int]) throws(InferenceError) -> QuantizedBuffer
    ) throws(InferenceError) {
        let input = try view(node.inputs[0], node)
        guard input.isImage else { throw .unsupported(node: node.name, op: node.op, "only 2-D convolution (input rank \(input.shape.count))") }
        guard node.inputs.count >= 2, let weight = constants[node.inputs[1]], case .int8(let kernel) = weight.constant.values,
              weight.constant.dims.count == 4 else {
            throw .unsupported(node: node.name, op: node.op, "weights must be int8 constants behind DequantizeLinear")
        }
        guard weight.quantization.zeroPoints.allSatisfy({ $0 == 0 }) else {
            throw .unsupported(node: node.name, op: node.op, "weights need symmetric quantisation (zero point 0)")
        }
        let dims = weight.constant.dims
        let (outChannels, groupInput, kh, kw) = (dims[0], dims[1], dims[2], dims[3])
        let groups = node.int("group", default: 1)
        let (n, h, w, c) = input.nhwc
        guard groups > 0, c == groupInput * groups, outChannels % groups == 0 else {
            throw .unsupported(node: node.name, op: node.op, "weights \(dims) do not fit \(c) input channels in \(groups) group(s)")
        }
        guard weight.quantization.scales.count == 1 || (weight.quantization.scales.count == outChannels && weight.quantization.axis == 0) else {
            throw .unsupported(node: node.name, op: node.op, "weights must be quantised per tensor or per output channel")
        }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        guard autoPad == "NOTSET" || autoPad == "VALID" else { throw .unsupported(node: node.name, op: node.op, "auto_pad \(autoPad)") }
        let strides = node.ints("strides") ?? [1, 1]
        let dilations = node.ints("dilations") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, dilations.count == 2, pads.count == 4 else { throw .unsupported(node: node.name, op: node.op, "only 2-D strides, dilations and pads") }
        let oh = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1
        let ow = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1
        guard oh > 0, ow > 0 else { throw .unsupported(node: node.name, op: node.op, "the kernel is larger than the padded image") }

        let scales = weight.quantization.scales.count == 1 ? [Float](repeating: weight.quantization.scales[0], count: outChannels) : weight.quantization.scales
        // OIHW → OHWI (XNNPACK's [groups][group outputs][kh][kw][group inputs]).
        var packed = [Int8](repeating: 0, count: kernel.count)
        for o in 0..<outChannels { for i in 0..<groupInput { for y in 0..<kh { for x in 0..<kw {
            packed[((o * kh + y) * kw + x) * groupInput + i] = kernel[((o * groupInput + i) * kh + y) * kw + x]
        } } } }
        // The bias in the accumulator's scale (input scale × weight scale), re-rounded from its
        // own quantisation in case the quantiser chose another scale.
        var bias = [Int32](repeating: 0, count: outChannels)
        if node.inputs.count >= 3, !node.inputs[2].isEmpty {
            guard let constant = constants[node.inputs[2]] else { throw .unsupported(node: node.name, op: node.op, "the bias must be a constant behind DequantizeLinear") }
            let values = constant.floats
            guard values.count == outChannels else { throw .invalidGraph("node \(node.name): bias of \(values.count), \(outChannels) output channels") }
            bias = Self.accumulatorBias(values, inputScale: input.scale, weightScales: scales)
        }
        let result = try output(node, [n, outChannels, oh, ow])
        var geometry = QuantizedConvolution.Geometry(
            padTop: UInt32(pads[0]), padRight: UInt32(pads[3]), padBottom: UInt32(pads[2]), padLeft: UInt32(pads[1]),
            kernelHeight: UInt32(kh), kernelWidth: UInt32(kw), strideHeight: UInt32(strides[0]), strideWidth: UInt32(strides[1]),
            dilationHeight: UInt32(dilations[0]), dilationWidth: UInt32(dilations[1]), groups: UInt32(groups),
            groupInputChannels: groupInput, groupOutputChannels: outChannels / groups
        )
        var convolutionInput = input
        // A one-channel image cut into side-by-side patches (kernel width = stride, no horizontal
        // padding): each row's kw neighbours become kw channels of one pixel of a view kw times
        // narrower, and the kernel width 1. XNNPACK pads every tap's channels to 8, so the
        // stem of a grayscale model then does a kw-th of the padded work; the arithmetic and
        // the packed weights (OHWI with W = 1, I = kw: the same bytes) do not change. Only for
        // the quantised graph input, which no subgraph writes, so the view is never stale.
        if groups == 1, groupInput == 1, kw > 1, strides[1] == kw, dilations[1] == 1, pads[1] == 0, pads[3] == 0, w % kw == 0,
           steps.contains(where: { if case .quantizeInput(_, let buffer) = $0 { buffer === input } else { false } }) {
            convolutionInput = QuantizedBuffer(viewing: input, shape: [n, kw, h, w / kw])
            geometry.kernelWidth = 1
            geometry.strideWidth = 1
            geometry.groupInputChannels = kw
        }
        let convolution = QuantizedConvolution(
            geometry: geometry, input: convolutionInput, output: result, kernelScales: scales, kernel: packed, bias: bias
        )
        steps.append(.convolution(convolution))
    }

    private func compileGemm(
        _ node: ONNXGraph.Node, view: (String, ONNXGraph.Node) throws(InferenceError) -> QuantizedBuffer,
        constants: [String: DequantizedConstant],
        output: (ONNXGraph.Node, [Int]) throws(InferenceError) -> QuantizedBuffer
    ) throws(InferenceError) {
        let input = try view(node.inputs[0], node)
        guard input.shape.count == 2 else { throw .unsupported(node: node.name, op: node.op, "input of rank \(input.shape.count) (flatten it first)") }
        guard node.inputs.count >= 2, let weight = constants[node.inputs[1]], weight.constant.dims.count == 2 else {
            throw .unsupported(node: node.name, op: node.op, "weights must be a 2-D constant behind DequantizeLinear")
        }
        let isGemm = node.op == "Gemm"
        guard !isGemm || node.int("transA", default: 0) == 0 else { throw .unsupported(node: node.name, op: node.op, "transA") }
        let transposed = isGemm && node.int("transB", default: 0) == 1
        let k = input.shape[1]
        let dims = weight.constant.dims
        let m = transposed ? dims[0] : dims[1]
        guard (transposed ? dims[1] : dims[0]) == k else { throw .invalidGraph("node \(node.name): weights \(dims) for \(k) inputs") }
        let floats = weight.floats
        var weights = [Float](repeating: 0, count: m * k)
        let alpha = isGemm ? node.float("alpha", default: 1) : 1
        for row in 0..<m { for col in 0..<k {
            weights[row * k + col] = alpha * (transposed ? floats[row * k + col] : floats[col * m + row])
        } }
        var bias = [Float](repeating: 0, count: m)
        if isGemm, node.inputs.count >= 3, !node.inputs[2].isEmpty {
            guard let constant = constants[node.inputs[2]] else { throw .unsupported(node: node.name, op: node.op, "the bias must be a constant behind DequantizeLinear") }
            let values = constant.floats
            guard values.count == m else { throw .unsupported(node: node.name, op: node.op, "bias of \(values.count) for \(m) outputs (no broadcasting)") }
            let beta = node.float("beta", default: 1)
            bias = values.map { $0 * beta }
        }
        let result = try output(node, [input.shape[0], m])
        steps.append(.gemm(input: input, output: result, weights: weights, bias: bias, inputs: k, outputs: m))
    }

    /// Runs every step on `inputs` and returns the graph outputs in ONNX order and shape.
    func run(_ inputs: [String: Tensor]) throws(InferenceError) -> [String: Tensor] {
        for step in steps { try step.run(inputs: inputs, pool: pool) }
        return collectOutputs()
    }

    /// As ``run(_:)``, also timing each step and the output conversion (the last entry).
    func runTimed(_ inputs: [String: Tensor]) throws(InferenceError) -> (outputs: [String: Tensor], times: [Duration]) {
        let clock = ContinuousClock()
        var times: [Duration] = []
        for step in steps {
            let start = clock.now
            try step.run(inputs: inputs, pool: pool)
            times.append(clock.now - start)
        }
        let start = clock.now
        let outputs = collectOutputs()
        times.append(clock.now - start)
        return (outputs, times)
    }

    private func collectOutputs() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, buffer) in outputBuffers {
            result[name] = Tensor(shape: buffer.shape, values: buffer.dequantizedInONNXOrder())
        }
        for (name, buffer) in floatOutputs {
            result[name] = Tensor(shape: buffer.shape, values: Activation.float(buffer).valuesInONNXOrder())
        }
        return result
    }
}
