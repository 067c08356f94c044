@testable import Inference
import Testing

@Suite("Int8 activation buffers")
struct QuantizedBufferTests {
    @Test("quantising eight at a time gives what ONNX QuantizeLinear (the one-value path) gives, ties, NaN and infinities included")
    func contiguousMatchesScalar() {
        var values: [Float] = [0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, .nan, .infinity, -.infinity, 1e30, -1e30, 63.75, -64.25, 127.5, -128.5, 0.2499, 3]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 { values.append(Float.random(in: -200...200, using: &generator)) }
        for (scale, zeroPoint) in [(Float(0.5), Int32(0)), (1, -128), (0.0078125, 3), (0.37, -7)] {
            let buffer = QuantizedBuffer(shape: [values.count], scale: scale, zeroPoint: zeroPoint)
            values.withUnsafeBufferPointer { buffer.quantize(contiguous: $0) }
            for (index, value) in values.enumerated() {
                #expect(buffer.pointer[index] == buffer.quantize(value), "\(value) at scale \(scale), zero point \(zeroPoint)")
            }
        }
    }
}
