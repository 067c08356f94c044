import FluoroboxTestSupport
import Foundation
@testable import Inference
import Testing

/// The operators of DenseNet, EfficientNet, U-Net and YOLO-style graphs that run as generic
/// steps, on small graphs whose outputs are worked out by hand. (Their agreement with ONNX
/// Runtime on whole quantised blocks is checked by tools/inference/check-agreement.)
@Suite("Generic operators of the int8 runtime")
struct GenericOperatorTests {
    @Test("BatchNormalization after a Concat scales and shifts each channel (images are stored NHWC)")
    func batchNormalizationAfterConcat() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 1, 2], outputs: ["bn_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.5, zeroPoint: 0)
        builder.floats("scale", [2, 1], dims: [2])
        builder.floats("bias", [0, 1], dims: [2])
        builder.floats("mean", [1, 0], dims: [2])
        builder.floats("var", [1, 4], dims: [2])
        let x = builder.qdq("x", params: "in")
        builder.node("Concat", "joined", inputs: [x, x], outputs: ["joined"], int: ["axis": 1])
        let joined = builder.qdq("joined", params: "in")
        builder.node("BatchNormalization", "bn", inputs: [joined, "scale", "bias", "mean", "var"], outputs: ["bn"], float: ["epsilon": 0])
        _ = builder.qdq("bn", params: "out")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let y = try #require(try model.run(["x": Tensor(shape: [1, 1, 1, 2], values: [1, 3])])["bn_dq"])
        // Channel 0: (x − 1) / 1 · 2 + 0; channel 1: (x − 0) / 2 · 1 + 1.
        #expect(y.shape == [1, 2, 1, 2])
        #expect(y.values == [0, 4, 1.5, 2.5])
    }

    @Test("squeeze-and-excite: ReduceMean over height and width, then [1, C, H, W] × [1, C, 1, 1]")
    func squeezeAndExcite() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2, 2, 2], outputs: ["y_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("half", scale: 0.5, zeroPoint: 0)
        let x = builder.qdq("x", params: "in")
        builder.node("ReduceMean", "squeeze", inputs: [x], outputs: ["m"], ints: ["axes": [2, 3]], int: ["keepdims": 1])
        let m = builder.qdq("m", params: "half")
        builder.node("Mul", "excite", inputs: [x, m], outputs: ["y"])
        _ = builder.qdq("y", params: "half")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let y = try #require(try model.run(["x": Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 0, 0, 4, 4])])["y_dq"])
        // Channel means 2.5 and 2.
        #expect(y.shape == [1, 2, 2, 2])
        #expect(y.values == [2.5, 5, 7.5, 10, 0, 0, 8, 8])
    }

    @Test("operators the quantiser leaves in float (Div and Sub by float constants) run in float between QuantizeLinear nodes")
    func floatIsland() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2], outputs: ["y_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.25, zeroPoint: 0)
        builder.floats("four", [4])
        builder.floats("one", [1], dims: [1])
        let x = builder.qdq("x", params: "in")
        builder.node("Div", "divide", inputs: [x, "four"], outputs: ["d"])
        builder.node("Sub", "subtract", inputs: ["d", "one"], outputs: ["y"])
        _ = builder.qdq("y", params: "out")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let y = try #require(try model.run(["x": Tensor(shape: [1, 2], values: [2, 6])])["y_dq"])
        #expect(y.values == [-0.5, 0.5])
    }

    @Test("a Mul by a uint8-quantised constant uses the constant's own zero point")
    func uint8Constant() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2], outputs: ["y_dq"])
        builder.floats("in_s", [1])
        builder.uint8s("in_z", [128])
        builder.floats("c_s", [0.5])
        builder.uint8s("c_z", [128])
        builder.uint8s("c", [200])
        builder.node("DequantizeLinear", "c_DQ", inputs: ["c", "c_s", "c_z"], outputs: ["c_dq"])
        let x = builder.qdq("x", params: "in")
        builder.node("Mul", "scale", inputs: [x, "c_dq"], outputs: ["y"])
        _ = builder.qdq("y", params: "in")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        // The constant is 0.5 · (200 − 128) = 36.
        let y = try #require(try model.run(["x": Tensor(shape: [1, 2], values: [1, 2])])["y_dq"])
        #expect(y.values == [36, 72])
    }

    @Test("a YOLO-style head: image → Reshape to rank 5 → Transpose → Split and Concat on the last axis → Reshape to rank 3")
    func detectorHead() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 4, 1, 2], outputs: ["boxes_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.int64s("shape5", [1, 2, 2, 1, 2], dims: [5])
        builder.int64s("halves", [1, 1], dims: [2])
        builder.int64s("shape3", [1, -1, 2], dims: [3])
        let x = builder.qdq("x", params: "in")
        builder.node("Reshape", "rank5", inputs: [x, "shape5"], outputs: ["r5"])
        let r5 = builder.qdq("r5", params: "in")
        builder.node("Transpose", "last", inputs: [r5], outputs: ["t"], ints: ["perm": [0, 1, 3, 4, 2]])
        let t = builder.qdq("t", params: "in")
        builder.node("Split", "split", inputs: [t, "halves"], outputs: ["a", "b"], int: ["axis": 4])
        let a = builder.qdq("a", params: "in"), b = builder.qdq("b", params: "in")
        builder.node("Concat", "swap", inputs: [b, a], outputs: ["s"], int: ["axis": -1])
        let s = builder.qdq("s", params: "in")
        builder.node("Reshape", "boxes", inputs: [s, "shape3"], outputs: ["boxes"])
        _ = builder.qdq("boxes", params: "in")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        // x[c, w] = 2c + w. Rank 5: (a, b, 0, w) = x[2a + b, w]; transposed to (a, 0, w, b);
        // the two b halves swapped; flattened in the order a, w, b.
        let y = try #require(try model.run(["x": Tensor(shape: [1, 4, 1, 2], values: (0..<8).map(Float.init))])["boxes_dq"])
        #expect(y.shape == [1, 4, 2])
        #expect(y.values == [2, 0, 3, 1, 6, 4, 7, 5])
    }

    @Test("Slice with a negative step and Gather of constant indices pick the elements worked out by hand")
    func sliceAndGather() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2, 3], outputs: ["g_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.int64s("starts", [-1], dims: [1])
        builder.int64s("ends", [-100], dims: [1])
        builder.int64s("axes", [2], dims: [1])
        builder.int64s("steps", [-2], dims: [1])
        builder.int64s("rows", [1, 0, 1], dims: [3])
        let x = builder.qdq("x", params: "in")
        builder.node("Slice", "reverse", inputs: [x, "starts", "ends", "axes", "steps"], outputs: ["r"])
        let r = builder.qdq("r", params: "in")
        builder.node("Gather", "pick", inputs: [r, "rows"], outputs: ["g"], int: ["axis": 1])
        _ = builder.qdq("g", params: "in")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        // Rows [0, 1, 2] and [3, 4, 5]; columns 2 and 0 of each; then rows 1, 0, 1.
        let y = try #require(try model.run(["x": Tensor(shape: [1, 2, 3], values: (0..<6).map(Float.init))])["g_dq"])
        #expect(y.shape == [1, 3, 2])
        #expect(y.values == [5, 3, 2, 0, 5, 3])
    }

    @Test("HardSwish and HardSigmoid as tables; a ConvTranspose 2×2 stride 2 with per-channel weights and a bias")
    func transposedConvolution() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["y_dq", "h_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.5, zeroPoint: 0)
        builder.int8s("w", [1, 2, 3, 4, 2, 2, 2, 2], dims: [1, 2, 2, 2])
        builder.floats("w_s", [0.5, 1], dims: [2])
        builder.int8s("w_z", [0, 0], dims: [2])
        builder.node("DequantizeLinear", "w_DQ", inputs: ["w", "w_s", "w_z"], outputs: ["w_dq"], int: ["axis": 1])
        builder.node("DequantizeLinear", "b_DQ", inputs: ["b", "b_s", "b_z"], outputs: ["b_dq"], int: ["axis": 0])
        builder.int32s("b", [2, 0], dims: [2])
        builder.floats("b_s", [0.5, 1], dims: [2])
        builder.int8s("b_z", [0, 0], dims: [2])
        let x = builder.qdq("x", params: "in")
        builder.node("ConvTranspose", "up", inputs: [x, "w_dq", "b_dq"], outputs: ["y"], ints: ["kernel_shape": [2, 2], "strides": [2, 2]])
        _ = builder.qdq("y", params: "out")
        builder.node("HardSwish", "hswish", inputs: [x], outputs: ["hs"])
        let hs = builder.qdq("hs", params: "out")
        builder.node("HardSigmoid", "hsigmoid", inputs: [hs], outputs: ["h"], float: ["alpha": 0.25, "beta": 0.5])
        _ = builder.qdq("h", params: "out")
        let compiled = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let outputs = try compiled.run(["x": Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, -2])])
        let y = try #require(outputs["y_dq"])
        // Output channel 0: each input pixel v becomes the block v · 0.5 · [1 2; 3 4], plus the
        // bias 2 · 0.5; channel 1: v · [2 2; 2 2].
        #expect(y.shape == [1, 2, 4, 4])
        let pixels: [[Float]] = [[1, 2], [3, -2]]
        var expected = [Float](repeating: 0, count: 32)
        for oy in 0..<4 { for ox in 0..<4 {
            let v = pixels[oy / 2][ox / 2], k = Float((oy % 2) * 2 + ox % 2 + 1)
            expected[oy * 4 + ox] = v * 0.5 * k + 1
            expected[16 + oy * 4 + ox] = v * 2
        } }
        #expect(y.values == expected, "\(y.values)")
        // HardSwish: x · clamp(x / 6 + 0.5, 0, 1) = 0.667, 1.667, 3, −0.333 → 0.5, 1.5, 3, −0.5
        // in steps of 0.5; HardSigmoid 0.25 · v + 0.5 = 0.625, 0.875, 1.25 → 1, 0.375 → 0.5, 1,
        // 1, 0.5 (1.25 / 0.5 = 2.5 rounds to even).
        let h = try #require(outputs["h_dq"])
        #expect(h.values == [0.5, 1, 1, 0.5])
    }

    @Test("attention: a batched MatMul of two activations (X · Xᵀ per head) and Softmax on the last of four axes (strided in NHWC storage)")
    func attention() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2, 2, 2], outputs: ["p_dq", "s_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("probability", scale: 1.0 / 256, zeroPoint: -128)
        let x = builder.qdq("x", params: "in")
        builder.node("Transpose", "keys", inputs: [x], outputs: ["t"], ints: ["perm": [0, 1, 3, 2]])
        let t = builder.qdq("t", params: "in")
        builder.node("MatMul", "scores", inputs: [x, t], outputs: ["p"])
        _ = builder.qdq("p", params: "in")
        builder.node("Softmax", "attend", inputs: [x], outputs: ["s"], int: ["axis": -1])
        _ = builder.qdq("s", params: "probability")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let outputs = try model.run(["x": Tensor(shape: [1, 2, 2, 2], values: [0, 0, 1, 1, 0, 2, 3, 3])])
        // Head 0: [[0, 0], [1, 1]] · its transpose = [[0, 0], [0, 2]]; head 1: [[0, 2], [3, 3]] →
        // [[4, 6], [6, 18]].
        let product = try #require(outputs["p_dq"])
        #expect(product.shape == [1, 2, 2, 2] && product.values == [0, 0, 0, 2, 4, 6, 6, 18], "\(product.values)")
        // Softmax of each pair: equal pairs give ½ each; (0, 2) gives 1 / (1 + e²) and the rest,
        // in steps of 1/256.
        let low = (256 / (1 + exp(Float(2)))).rounded() / 256
        let softmax = try #require(outputs["s_dq"])
        #expect(softmax.values == [0.5, 0.5, 0.5, 0.5, low, 1 - low, 0.5, 0.5], "\(softmax.values)")
    }

    @Test("LayerNormalization over the last axis with a per-element scale and bias")
    func layerNormalization() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2, 2], outputs: ["n_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.5, zeroPoint: 0)
        builder.floats("scale", [2, 1], dims: [2])
        builder.floats("bias", [0.5, 0], dims: [2])
        let x = builder.qdq("x", params: "in")
        builder.node("LayerNormalization", "norm", inputs: [x, "scale", "bias"], outputs: ["n"], int: ["axis": -1])
        _ = builder.qdq("n", params: "out")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let y = try #require(try model.run(["x": Tensor(shape: [1, 2, 2], values: [1, 3, 2, 2])])["n_dq"])
        // Row (1, 3): mean 2, variance 1 → (−1, 1) · (2, 1) + (0.5, 0); row (2, 2): variance 0 →
        // the bias alone.
        #expect(y.values == [-1.5, 1, 0.5, 0])
    }
}
