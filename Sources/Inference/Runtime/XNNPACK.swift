import CXNNPACK

/// The one place that calls XNNPACK and pthreadpool: status codes become ``InferenceError``s,
/// and operators and the thread pool are released with their owner.
enum XNNPACK {
    static func check(_ status: xnn_status, _ call: String) throws(InferenceError) {
        guard status == xnn_status_success else { throw InferenceError.xnnpack(call, status: status.rawValue) }
    }

    static func initialize() throws(InferenceError) {
        try check(xnn_initialize(nil), "xnn_initialize")
    }
}

/// A pthreadpool of `threads` workers (nil when one thread: XNNPACK then runs on the caller).
final class ThreadPool {
    let pool: pthreadpool_t?

    init(threads: Int) {
        pool = threads > 1 ? pthreadpool_create(threads) : nil
    }

    deinit {
        if let pool { pthreadpool_destroy(pool) }
    }
}

/// A per-channel int8 convolution packed once by XNNPACK and bound to fixed NHWC buffers.
final class QuantizedConvolution {
    private var op: xnn_operator_t?

    struct Geometry {
        var padTop, padRight, padBottom, padLeft: UInt32
        var kernelHeight, kernelWidth: UInt32
        var strideHeight, strideWidth: UInt32
        var dilationHeight, dilationWidth: UInt32
        var groups: UInt32
        var groupInputChannels, groupOutputChannels: Int
    }

    /// `kernel` in XNNPACK's order [groups][groupOutputChannels][kh][kw][groupInputChannels].
    init(
        geometry g: Geometry, inputZeroPoint: Int8, inputScale: Float, kernelScales: [Float], kernel: [Int8], bias: [Int32],
        outputZeroPoint: Int8, outputScale: Float
    ) throws(InferenceError) {
        var created: xnn_operator_t?
        let status = kernelScales.withUnsafeBufferPointer { scales in
            kernel.withUnsafeBufferPointer { weights in
                bias.withUnsafeBufferPointer { biases in
                    xnn_create_convolution2d_nhwc_qc8(
                        g.padTop, g.padRight, g.padBottom, g.padLeft, g.kernelHeight, g.kernelWidth,
                        g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.groups,
                        g.groupInputChannels, g.groupOutputChannels,
                        Int(g.groups) * g.groupInputChannels, Int(g.groups) * g.groupOutputChannels,
                        inputZeroPoint, inputScale, scales.baseAddress, weights.baseAddress, biases.baseAddress,
                        outputZeroPoint, outputScale, -128, 127, 0, &created
                    )
                }
            }
        }
        try XNNPACK.check(status, "xnn_create_convolution2d_nhwc_qc8")
        op = created
    }

    func setup(batch: Int, height: Int, width: Int, input: UnsafePointer<Int8>, output: UnsafeMutablePointer<Int8>, pool: ThreadPool) throws(InferenceError) {
        try XNNPACK.check(xnn_setup_convolution2d_nhwc_qc8(op, batch, height, width, input, output, pool.pool), "xnn_setup_convolution2d_nhwc_qc8")
    }

    func run(pool: ThreadPool) throws(InferenceError) {
        try XNNPACK.check(xnn_run_operator(op, pool.pool), "xnn_run_operator")
    }

    deinit {
        if let op { xnn_delete_operator(op) }
    }
}
