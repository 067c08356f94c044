/// An int8 activation of the compiled model: a fixed buffer (allocated once at load, so the
/// packed XNNPACK operators can be bound to it), its ONNX shape, and its quantisation.
///
/// Rank-4 activations are stored NHWC (XNNPACK's layout); the ONNX shape stays NCHW.
final class QuantizedBuffer {
    let shape: [Int]
    let scale: Float
    let zeroPoint: Int32
    let pointer: UnsafeMutablePointer<Int8>
    let count: Int
    /// For a view: the buffer whose memory it reads (kept alive by the view).
    let base: QuantizedBuffer?

    init(shape: [Int], scale: Float, zeroPoint: Int32) {
        self.shape = shape
        self.scale = scale
        self.zeroPoint = zeroPoint
        count = shape.reduce(1, *)
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        base = nil
    }

    /// The same bytes under another shape of the same size (no copy).
    init(viewing base: QuantizedBuffer, shape: [Int]) {
        precondition(shape.reduce(1, *) == base.count, "a view keeps the element count")
        self.shape = shape
        scale = base.scale
        zeroPoint = base.zeroPoint
        count = base.count
        pointer = base.pointer
        self.base = base
    }

    deinit {
        if base == nil { pointer.deallocate() }
    }

    var isImage: Bool { shape.count == 4 }
    /// (N, H, W, C) of a rank-4 activation.
    var nhwc: (n: Int, h: Int, w: Int, c: Int) { (shape[0], shape[2], shape[3], shape[1]) }

    /// The dimensions as stored: NHWC for an image, the ONNX shape otherwise.
    var storageDimensions: [Int] {
        guard isImage else { return shape }
        let (n, h, w, c) = nhwc
        return [n, h, w, c]
    }

    func dequantize(_ value: Int8) -> Float {
        scale * Float(Int32(value) - zeroPoint)
    }

    /// ONNX QuantizeLinear: round half to even, add the zero point, saturate.
    func quantize(_ value: Float) -> Int8 {
        Self.quantize(value, scale: scale, zeroPoint: zeroPoint)
    }

    static func quantize(_ value: Float, scale: Float, zeroPoint: Int32) -> Int8 {
        let scaled = (value / scale).rounded(.toNearestOrEven)
        guard scaled.isFinite else { return scaled > 0 ? 127 : -128 }
        let shifted = Double(scaled) + Double(zeroPoint)
        return Int8(max(-128, min(127, shifted)))
    }

    /// Quantises `source` (in storage order, `count` values) into the buffer with the same
    /// rounding, zero point and saturation as ``quantize(_:)`` (NaN becomes −128), in a loop
    /// without branches, traps or library calls that the compiler vectorises for plain x86-64
    /// (no SSE4.1 rounding instruction); optimised in debug builds too.
    @_optimize(speed)
    func quantize(contiguous source: UnsafeBufferPointer<Float>) {
        // Clamped before rounding to the range whose integers land in [−128, 127] with the
        // zero point added: the same as rounding first and saturating after (the bounds are
        // integers), and NaN fails both comparisons.
        let low = Float(-128 - zeroPoint), high = Float(127 - zeroPoint)
        // 1.5 × 2²³: adding it rounds a value below 2²² in magnitude to an integer, half to
        // even, and leaves that integer, two's complement, in the low bits of the bit pattern.
        let magic: Float = 12_582_912
        for index in 0..<min(count, source.count) {
            let scaled = source[index] / scale
            let clamped = scaled >= low ? (scaled <= high ? scaled : high) : low
            pointer[index] = Int8(truncatingIfNeeded: Int32(bitPattern: (clamped + magic).bitPattern) &+ zeroPoint)
        }
    }

    /// Values as float32 in ONNX order (NCHW for images).
    func dequantizedInONNXOrder() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        if isImage {
            let (n, h, w, c) = nhwc
            for b in 0..<n { for y in 0..<h { for x in 0..<w { for ch in 0..<c {
                out[((b * c + ch) * h + y) * w + x] = dequantize(pointer[((b * h + y) * w + x) * c + ch])
            } } } }
        } else {
            for i in 0..<count { out[i] = dequantize(pointer[i]) }
        }
        return out
    }
}
