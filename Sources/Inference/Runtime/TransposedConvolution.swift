/// ConvTranspose (a U-Net decoder's learned up-sampling) on int8 activations with per-channel
/// int8 weights: every input pixel scatters its products into an int32 accumulator per output
/// value (bias first, in the accumulator's scale), which is then requantised. Debian's XNNPACK
/// (2022-02) has deconvolution only with one weight scale per tensor (qs8/qu8), not per channel.
final class TransposedConvolution {
    struct Geometry {
        var kernel: (Int, Int)
        var stride: (Int, Int)
        var dilation: (Int, Int)
        var padTop: Int
        var padLeft: Int
        var groups: Int
        var groupInputChannels: Int
        var groupOutputChannels: Int
    }

    let geometry: Geometry
    let input: QuantizedBuffer
    let output: QuantizedBuffer
    /// [input channel][ky][kx][group output channel]: the inner loop runs along output channels.
    let kernel: [Int32]
    /// Per output channel: input scale × weight scale, and the bias in that scale.
    let multipliers: [Double]
    let bias: [Int32]

    init(geometry: Geometry, input: QuantizedBuffer, output: QuantizedBuffer, kernel: [Int32], multipliers: [Double], bias: [Int32]) {
        self.geometry = geometry
        self.input = input
        self.output = output
        self.kernel = kernel
        self.multipliers = multipliers
        self.bias = bias
    }

    func run() {
        let g = geometry
        let (n, h, w, c) = input.nhwc
        let (_, oh, ow, oc) = output.nhwc
        var accumulators = [Int32](repeating: 0, count: oh * ow * oc)
        let zero = input.zeroPoint
        for b in 0..<n {
            for pixel in 0..<(oh * ow) { for o in 0..<oc { accumulators[pixel * oc + o] = bias[o] } }
            for iy in 0..<h { for ix in 0..<w {
                let source = ((b * h + iy) * w + ix) * c
                for ic in 0..<c {
                    let x = Int32(input.pointer[source + ic]) - zero
                    guard x != 0 else { continue }
                    let firstOutput = ic / g.groupInputChannels * g.groupOutputChannels
                    for ky in 0..<g.kernel.0 {
                        let oy = iy * g.stride.0 - g.padTop + ky * g.dilation.0
                        guard oy >= 0, oy < oh else { continue }
                        for kx in 0..<g.kernel.1 {
                            let ox = ix * g.stride.1 - g.padLeft + kx * g.dilation.1
                            guard ox >= 0, ox < ow else { continue }
                            let weights = ((ic * g.kernel.0 + ky) * g.kernel.1 + kx) * g.groupOutputChannels
                            let target = (oy * ow + ox) * oc + firstOutput
                            for o in 0..<g.groupOutputChannels { accumulators[target + o] &+= x &* kernel[weights + o] }
                        }
                    }
                }
            } }
            let base = b * oh * ow * oc
            for pixel in 0..<(oh * ow) { for o in 0..<oc {
                let value = Double(accumulators[pixel * oc + o]) * multipliers[o]
                output.pointer[base + pixel * oc + o] = output.quantize(Float(value))
            } }
        }
    }
}
