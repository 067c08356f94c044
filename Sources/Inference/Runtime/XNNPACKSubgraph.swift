import CXNNPACK

/// Consecutive steps of a compiled model run as one XNNPACK subgraph runtime: convolutions,
/// Add and Mul, global average and max pooling, Sigmoid and clamps, on int8 values. XNNPACK
/// packs the weights when the runtime is created (once, at load), may fuse nodes, and keeps the
/// activations that no other step reads in its own workspace.
///
/// Debian's XNNPACK (2022-02) has no int8 concatenation, resize, average pooling or softmax in
/// its subgraph API; those steps run between runtimes on the same int8 buffers.
final class XNNPACKSubgraph {
    /// Buffers the runtime reads but does not write (written by earlier steps or the input).
    let externalInputs: [QuantizedBuffer]
    /// Buffers the runtime writes that later steps or the graph outputs read.
    let externalOutputs: [QuantizedBuffer]
    let nodeCount: Int
    /// The runtime keeps the pool's pointer: it lives at least as long.
    private let pool: ThreadPool
    private var runtime: xnn_runtime_t?

    /// Whether a step can join a subgraph, given the int8 operators of Debian's XNNPACK and
    /// their limits (requantisation ratios, fixed sigmoid output, no padded max pooling).
    static func canRun(_ step: InferenceStep) -> Bool {
        switch step {
        case .convolution(let convolution):
            let input = convolution.input, output = convolution.output
            return convolution.kernelScales.allSatisfy { ratio(input.scale * $0, output.scale, within: 0x1p-32, 256) }
        case .globalAveragePool(let input, let output):
            return ratio(input.scale, output.scale, within: 0x1p-8, 256)
        case .maxPool(let input, let output, let window):
            return sameQuantization(input, output) && window.padTop == 0 && window.padLeft == 0
                && input.nhwc.h >= window.kernel.0 && input.nhwc.w >= window.kernel.1
                && (input.nhwc.h - window.kernel.0) / window.stride.0 + 1 == output.nhwc.h
                && (input.nhwc.w - window.kernel.1) / window.stride.1 + 1 == output.nhwc.w
        case .binary(let lhs, let rhs, let output, let multiply):
            guard lhs.shape == rhs.shape else { return false }
            return multiply
                ? ratio(lhs.scale * rhs.scale, output.scale, within: 0x1p-16, 256)
                : ratio(lhs.scale, output.scale, within: 0x1p-10, 256) && ratio(rhs.scale, output.scale, within: 0x1p-10, 256)
        case .lookup(let input, let output, _, let function):
            switch function {
            case .sigmoid: return output.scale == 0x1p-8 && output.zeroPoint == -128 && input.count > 0
            case .clamp: return sameQuantization(input, output)
            case .requantize, .other: return false
            }
        default:
            return false
        }
    }

    private static func ratio(_ numerator: Float, _ denominator: Float, within low: Float, _ high: Float) -> Bool {
        let value = numerator / denominator
        return value >= low && value < high
    }

    private static func sameQuantization(_ a: QuantizedBuffer, _ b: QuantizedBuffer) -> Bool {
        a.scale == b.scale && a.zeroPoint == b.zeroPoint
    }

    /// Builds one runtime of `steps` (each ``canRun``). `keep` names the buffers some step
    /// outside these (or the graph's outputs) reads: written here, they are external outputs.
    init(steps: [InferenceStep], keep: Set<ObjectIdentifier>, pool: ThreadPool) throws(InferenceError) {
        self.pool = pool
        nodeCount = steps.count
        var written = Set<ObjectIdentifier>()
        var inputs: [QuantizedBuffer] = [], outputs: [QuantizedBuffer] = []
        var seen = Set<ObjectIdentifier>()
        for step in steps {
            for buffer in step.reads where !written.contains(ObjectIdentifier(buffer)) && seen.insert(ObjectIdentifier(buffer)).inserted {
                inputs.append(buffer)
            }
            for buffer in step.writes {
                written.insert(ObjectIdentifier(buffer))
                if keep.contains(ObjectIdentifier(buffer)), seen.insert(ObjectIdentifier(buffer)).inserted { outputs.append(buffer) }
            }
        }
        externalInputs = inputs
        externalOutputs = outputs
        let externals = inputs + outputs

        var subgraph: xnn_subgraph_t?
        try XNNPACK.check(xnn_create_subgraph(UInt32(externals.count), 0, &subgraph), "xnn_create_subgraph")
        defer { xnn_delete_subgraph(subgraph) }
        var values: [ObjectIdentifier: UInt32] = [:]

        func value(_ buffer: QuantizedBuffer) throws(InferenceError) -> UInt32 {
            if let id = values[ObjectIdentifier(buffer)] { return id }
            var externalID = UInt32.max  // XNN_INVALID_VALUE_ID: a value of the runtime's own
            var flags: UInt32 = 0
            if let index = inputs.firstIndex(where: { $0 === buffer }) {
                externalID = UInt32(index)
                flags = UInt32(XNN_VALUE_FLAG_EXTERNAL_INPUT)
            } else if let index = outputs.firstIndex(where: { $0 === buffer }) {
                externalID = UInt32(inputs.count + index)
                flags = UInt32(XNN_VALUE_FLAG_EXTERNAL_OUTPUT)
            }
            let dims = buffer.storageDimensions
            var id: UInt32 = 0
            let status = dims.withUnsafeBufferPointer { dims in
                xnn_define_quantized_tensor_value(subgraph, xnn_datatype_qint8, buffer.zeroPoint, buffer.scale, dims.count, dims.baseAddress, nil, externalID, flags, &id)
            }
            try XNNPACK.check(status, "xnn_define_quantized_tensor_value")
            values[ObjectIdentifier(buffer)] = id
            return id
        }

        // Weights and biases: XNNPACK packs them when the runtime is created; they must stay
        // valid until then.
        var constants: [[Int8]] = [], biases: [[Int32]] = [], scales: [[Float]] = []
        for step in steps {
            switch step {
            case .convolution(let convolution):
                constants.append(convolution.kernel)
                biases.append(convolution.bias)
                scales.append(convolution.kernelScales)
                scales.append(convolution.kernelScales.map { $0 * convolution.input.scale })
            default: break
            }
        }
        var constantIndex = 0
        for step in steps {
            switch step {
            case .convolution(let convolution):
                let g = convolution.geometry
                let input = try value(convolution.input), output = try value(convolution.output)
                let kernelDims = [g.outputChannels, Int(g.kernelHeight), Int(g.kernelWidth), g.groupInputChannels]
                var filter: UInt32 = 0, bias: UInt32 = 0
                let filterStatus = scales[2 * constantIndex].withUnsafeBufferPointer { s in
                    kernelDims.withUnsafeBufferPointer { d in
                        constants[constantIndex].withUnsafeBytes { data in
                            xnn_define_channelwise_quantized_tensor_value(subgraph, xnn_datatype_qcint8, s.baseAddress, 4, 0, d.baseAddress, data.baseAddress, UInt32.max, 0, &filter)
                        }
                    }
                }
                try XNNPACK.check(filterStatus, "xnn_define_channelwise_quantized_tensor_value (weights)")
                let biasDims = [g.outputChannels]
                let biasStatus = scales[2 * constantIndex + 1].withUnsafeBufferPointer { s in
                    biasDims.withUnsafeBufferPointer { d in
                        biases[constantIndex].withUnsafeBytes { data in
                            xnn_define_channelwise_quantized_tensor_value(subgraph, xnn_datatype_qcint32, s.baseAddress, 1, 0, d.baseAddress, data.baseAddress, UInt32.max, 0, &bias)
                        }
                    }
                }
                try XNNPACK.check(biasStatus, "xnn_define_channelwise_quantized_tensor_value (bias)")
                constantIndex += 1
                try XNNPACK.check(xnn_define_convolution_2d(
                    subgraph, g.padTop, g.padRight, g.padBottom, g.padLeft, g.kernelHeight, g.kernelWidth,
                    g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.groups,
                    g.groupInputChannels, g.groupOutputChannels, -.infinity, .infinity, input, filter, bias, output, 0
                ), "xnn_define_convolution_2d")
            case .globalAveragePool(let input, let output):
                try XNNPACK.check(xnn_define_global_average_pooling_2d(subgraph, -.infinity, .infinity, try value(input), try value(output), 0), "xnn_define_global_average_pooling_2d")
            case .maxPool(let input, let output, let window):
                try XNNPACK.check(xnn_define_max_pooling_2d(
                    subgraph, 0, 0, 0, 0, UInt32(window.kernel.0), UInt32(window.kernel.1), UInt32(window.stride.0), UInt32(window.stride.1), 1, 1,
                    -.infinity, .infinity, try value(input), try value(output), 0
                ), "xnn_define_max_pooling_2d")
            case .binary(let lhs, let rhs, let output, let multiply):
                let a = try value(lhs), b = try value(rhs), out = try value(output)
                if multiply {
                    try XNNPACK.check(xnn_define_multiply2(subgraph, -.infinity, .infinity, a, b, out, 0), "xnn_define_multiply2")
                } else {
                    try XNNPACK.check(xnn_define_add2(subgraph, -.infinity, .infinity, a, b, out, 0), "xnn_define_add2")
                }
            case .lookup(let input, let output, _, .sigmoid):
                try XNNPACK.check(xnn_define_sigmoid(subgraph, try value(input), try value(output), 0), "xnn_define_sigmoid")
            case .lookup(let input, let output, _, .clamp(let low, let high)):
                try XNNPACK.check(xnn_define_clamp(subgraph, low, high, try value(input), try value(output), 0), "xnn_define_clamp")
            default:
                throw .invalidGraph("a step that XNNPACK's subgraph cannot run was given to it")
            }
        }
        var created: xnn_runtime_t?
        try XNNPACK.check(xnn_create_runtime_v2(subgraph, pool.pool, 0, &created), "xnn_create_runtime_v2")
        runtime = created
        var bindings = [xnn_external_value]()
        for (index, buffer) in externals.enumerated() {
            bindings.append(xnn_external_value(id: UInt32(index), data: UnsafeMutableRawPointer(buffer.pointer)))
        }
        try XNNPACK.check(xnn_setup_runtime(created, bindings.count, bindings), "xnn_setup_runtime")
    }

    func run() throws(InferenceError) {
        try XNNPACK.check(xnn_invoke_runtime(runtime), "xnn_invoke_runtime")
    }

    deinit {
        if let runtime { xnn_delete_runtime(runtime) }
    }
}
