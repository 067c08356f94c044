import CXNNPACK

/// A per-channel int8 convolution between two fixed NHWC buffers. Its weights are packed once
/// by XNNPACK: inside a subgraph runtime (``XNNPACKSubgraph``) when it joins one, or as an
/// operator of its own (``bindOperator(pool:)``) when it runs alone.
final class QuantizedConvolution {
    struct Geometry {
        var padTop, padRight, padBottom, padLeft: UInt32
        var kernelHeight, kernelWidth: UInt32
        var strideHeight, strideWidth: UInt32
        var dilationHeight, dilationWidth: UInt32
        var groups: UInt32
        var groupInputChannels, groupOutputChannels: Int

        var outputChannels: Int { Int(groups) * groupOutputChannels }
    }

    let geometry: Geometry
    let input: QuantizedBuffer
    let output: QuantizedBuffer
    /// One scale per output channel (a per-tensor scale repeated).
    let kernelScales: [Float]
    /// In XNNPACK's order [groups][groupOutputChannels][kh][kw][groupInputChannels].
    let kernel: [Int8]
    /// In the accumulator's scale: input scale × the output channel's kernel scale.
    let bias: [Int32]
    private var op: xnn_operator_t?

    init(geometry: Geometry, input: QuantizedBuffer, output: QuantizedBuffer, kernelScales: [Float], kernel: [Int8], bias: [Int32]) {
        self.geometry = geometry
        self.input = input
        self.output = output
        self.kernelScales = kernelScales
        self.kernel = kernel
        self.bias = bias
    }

    /// Packs the weights into an operator of its own, bound to the two buffers.
    func bindOperator(pool: ThreadPool) throws(InferenceError) {
        guard op == nil else { return }
        let g = geometry
        var created: xnn_operator_t?
        let status = kernelScales.withUnsafeBufferPointer { scales in
            kernel.withUnsafeBufferPointer { weights in
                bias.withUnsafeBufferPointer { biases in
                    xnn_create_convolution2d_nhwc_qc8(
                        g.padTop, g.padRight, g.padBottom, g.padLeft, g.kernelHeight, g.kernelWidth,
                        g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.groups,
                        g.groupInputChannels, g.groupOutputChannels,
                        Int(g.groups) * g.groupInputChannels, g.outputChannels,
                        Int8(input.zeroPoint), input.scale, scales.baseAddress, weights.baseAddress, biases.baseAddress,
                        Int8(output.zeroPoint), output.scale, -128, 127, 0, &created
                    )
                }
            }
        }
        try XNNPACK.check(status, "xnn_create_convolution2d_nhwc_qc8")
        op = created
        let (n, h, w, _) = input.nhwc
        try XNNPACK.check(xnn_setup_convolution2d_nhwc_qc8(op, n, h, w, input.pointer, output.pointer, pool.pool), "xnn_setup_convolution2d_nhwc_qc8")
    }

    func run(pool: ThreadPool) throws(InferenceError) {
        guard let op else { throw InferenceError.invalidGraph("a convolution runs neither in a subgraph nor as an operator") }
        try XNNPACK.check(xnn_run_operator(op, pool.pool), "xnn_run_operator")
    }

    deinit {
        if let op { xnn_delete_operator(op) }
    }
}
