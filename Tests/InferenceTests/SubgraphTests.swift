import FluoroboxTestSupport
import Foundation
@testable import Inference
import Testing

@Suite("Steps grouped into XNNPACK subgraph runtimes")
struct SubgraphTests {
    @Test("the demo model's convolutions and pooling run in one XNNPACK subgraph; concatenation and the classifier between runtimes")
    func demoModelGrouping() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: RuntimeTests.demo + "/model.onnx"))
        let plan = try InferencePlan(graph: try ONNXGraph(serialized: data), threads: 1)
        #expect(plan.subgraphRefusals.isEmpty, "\(plan.subgraphRefusals)")
        let standalone = plan.steps.filter { if case .convolution = $0 { true } else { false } }
        #expect(standalone.isEmpty, "every convolution joins a subgraph")
        let subgraphs = plan.steps.compactMap { if case .subgraph(let subgraph) = $0 { subgraph } else { nil } }
        // 15 convolutions (stem, six depthwise and six 1×1, two in the heat-map head), the
        // global average pool and the peak max pool.
        #expect(subgraphs.map(\.nodeCount).reduce(0, +) == 17)
        // The 2×2 stride-2 stem reads the 256×256 image as 2 channels of a 128-wide view.
        #expect(subgraphs.first?.externalInputs.map(\.shape) == [[1, 2, 256, 128]])
        #expect(plan.steps.contains { if case .concat = $0 { true } else { false } })
    }

    /// y = x + x·x through Add and Mul of int8 activations, with `outputScale` for the sum.
    static func addMultiply(outputScale: Float) throws -> (InferencePlan, [Float]) {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["y"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("square", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: outputScale, zeroPoint: 0)
        let x = builder.qdq("x", params: "in")
        builder.node("Mul", "square", inputs: [x, x], outputs: ["sq"])
        let square = builder.qdq("sq", params: "square")
        builder.node("Add", "sum", inputs: [x, square], outputs: ["sum"])
        builder.node("QuantizeLinear", "sum_Q", inputs: ["sum", "out_s", "out_z"], outputs: ["sum_q"])
        builder.node("DequantizeLinear", "y", inputs: ["sum_q", "out_s", "out_z"], outputs: ["y"])
        let plan = try InferencePlan(graph: try ONNXGraph(serialized: try builder.serialized()), threads: 1)
        let output = try #require(try plan.run(["x": Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, -4])])["y"])
        return (plan, output.values)
    }

    @Test("Add and Mul in a subgraph and, where XNNPACK's ratio limits refuse them, as steps: the same values worked out by hand")
    func addMultiplyBothWays() throws {
        // x + x² = 2, 6, 12, 12.
        let (inSubgraph, fast) = try Self.addMultiply(outputScale: 1)
        #expect(inSubgraph.steps.contains { if case .subgraph(let s) = $0 { s.nodeCount == 2 } else { false } })
        #expect(fast == [2, 6, 12, 12])
        // Scale 1/512 makes the Add's input/output ratio 512, beyond XNNPACK's 256: a step of its
        // own (and everything saturates at 127/512).
        let (stepwise, slow) = try Self.addMultiply(outputScale: 1.0 / 512)
        #expect(stepwise.steps.contains { if case .binary(_, _, _, false) = $0 { true } else { false } })
        #expect(slow == [Float](repeating: 127.0 / 512, count: 4))
    }

    @Test("a one-channel convolution with dilation 2, stride 2 and padding gives the sums worked out by hand")
    func dilatedOneChannelConvolution() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 5, 7], outputs: ["c_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.5, zeroPoint: 0)
        builder.int8s("w", [Int8](repeating: 1, count: 9), dims: [1, 1, 3, 3])
        builder.floats("w_s", [0.5], dims: [1])
        builder.int8s("w_z", [0], dims: [1])
        builder.node("DequantizeLinear", "w_DQ", inputs: ["w", "w_s", "w_z"], outputs: ["w_dq"], int: ["axis": 0])
        let x = builder.qdq("x", params: "in")
        builder.node("Conv", "conv", inputs: [x, "w_dq"], outputs: ["c"], ints: ["kernel_shape": [3, 3], "dilations": [2, 2], "strides": [2, 2], "pads": [0, 1, 0, 1]])
        let c = builder.qdq("c", params: "out")
        let plan = try InferencePlan(graph: try ONNXGraph(serialized: try builder.serialized()), threads: 1)
        // Input 5×7 holding 0…7 repeating, row by row; padded to 5×9 (zero columns left and right). The
        // dilated window covers padded columns c, c+2, c+4 of rows 0, 2, 4: outputs at c = 0, 2, 4.
        let values = (0..<35).map { Float($0 % 8) }
        let y = try #require(try plan.run(["x": Tensor(shape: [1, 1, 5, 7], values: values)])[c])
        #expect(y.shape == [1, 1, 1, 3])
        func sum(paddedColumns: [Int]) -> Float {
            var total: Float = 0
            for row in [0, 2, 4] { for column in paddedColumns where column >= 1 && column <= 7 { total += values[row * 7 + column - 1] } }
            return total * 0.5
        }
        #expect(y.values == [sum(paddedColumns: [0, 2, 4]), sum(paddedColumns: [2, 4, 6]), sum(paddedColumns: [4, 6, 8])])
    }

    @Test("a one-channel 2×3 stride-(1,3) patch convolution of the input runs on a 3-channel view a third as wide, with the sums worked out by hand")
    func patchConvolutionOnView() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 3, 6], outputs: ["c_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 1, zeroPoint: 0)
        // Two output channels: weights 1…6 and all −1 (row-major 2×3 each).
        builder.int8s("w", [1, 2, 3, 4, 5, 6, -1, -1, -1, -1, -1, -1], dims: [2, 1, 2, 3])
        builder.floats("w_s", [1, 1], dims: [2])
        builder.int8s("w_z", [0, 0], dims: [2])
        builder.node("DequantizeLinear", "w_DQ", inputs: ["w", "w_s", "w_z"], outputs: ["w_dq"], int: ["axis": 0])
        let x = builder.qdq("x", params: "in")
        builder.node("Conv", "conv", inputs: [x, "w_dq"], outputs: ["c"], ints: ["kernel_shape": [2, 3], "strides": [1, 3], "pads": [1, 0, 0, 0]])
        let c = builder.qdq("c", params: "out")
        let plan = try InferencePlan(graph: try ONNXGraph(serialized: try builder.serialized()), threads: 1)
        let subgraph = try #require(plan.steps.compactMap { if case .subgraph(let s) = $0 { s } else { nil } }.first)
        #expect(subgraph.externalInputs.map(\.shape) == [[1, 3, 3, 2]], "the convolution reads the 3-channel view")
        let values = (0..<18).map { Float($0 % 7) }
        let y = try #require(try plan.run(["x": Tensor(shape: [1, 1, 3, 6], values: values)])[c])
        // Padded with one zero row on top: output row r covers input rows r − 1 and r.
        #expect(y.shape == [1, 2, 3, 2])
        func output(_ channel: Int, _ row: Int, _ column: Int) -> Float {
            var total: Float = 0
            for ky in 0..<2 { for kx in 0..<3 where row - 1 + ky >= 0 {
                let weight: Float = channel == 0 ? Float(ky * 3 + kx + 1) : -1
                total += weight * values[(row - 1 + ky) * 6 + column * 3 + kx]
            } }
            return max(-128, min(127, total))
        }
        let expected = (0..<2).flatMap { channel in (0..<3).flatMap { row in (0..<2).map { output(channel, row, $0) } } }
        #expect(y.values == expected)
    }
}
