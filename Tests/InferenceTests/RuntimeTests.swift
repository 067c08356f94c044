import FluoroboxTestSupport
import Foundation
@testable import Inference
import Testing

@Suite("The int8 runtime on XNNPACK")
struct RuntimeTests {
    static let demo = TestData.packageRoot + "/models/chest-phantom-demo"

    @Test("the demo package's reference outputs (ONNX Runtime's) are reproduced within 0.02, with 1 and 2 threads", arguments: [1, 2])
    func demoReference(threads: Int) throws {
        let model = try InferenceModel(contentsOf: Self.demo + "/model.onnx", threads: threads, logger: quietLogger)
        #expect(model.inputs == [TensorSpec(name: "image", shape: [1, 1, 256, 256])])
        #expect(model.outputs.map(\.name) == ["findings", "heatmap"])
        for name in ["normal", "nodule", "consolidation", "effusion"] {
            let input = try NumpyFile.readTensor(Self.demo + "/reference/\(name)-input.npy")
            // Twice: the model keeps its packed weights and buffers across runs.
            for _ in 0..<2 {
                let outputs = try model.run(["image": input])
                for output in ["findings", "heatmap"] {
                    let expected = try NumpyFile.readTensor(Self.demo + "/reference/\(name)-\(output).npy")
                    let actual = try #require(outputs[output])
                    #expect(actual.shape == expected.shape)
                    let difference = zip(actual.values, expected.values).map { abs($0 - $1) }.max() ?? 1
                    #expect(difference <= 0.02, "\(name) \(output): max |difference| \(difference)")
                }
            }
        }
    }

    @Test("global average pooling and a sigmoid on known int8 values give the values worked out by hand")
    func poolingAndSigmoid() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["y"])
        builder.quantization("in", scale: 0.5, zeroPoint: 0)
        builder.quantization("pool", scale: 0.25, zeroPoint: 0)
        builder.quantization("out", scale: 1.0 / 256, zeroPoint: -128)
        let x = builder.qdq("x", params: "in")
        builder.node("GlobalAveragePool", "gap", inputs: [x], outputs: ["pooled"])
        let pooled = builder.qdq("pooled", params: "pool")
        builder.node("Sigmoid", "sigmoid", inputs: [pooled], outputs: ["s"])
        builder.node("QuantizeLinear", "s_Q", inputs: ["s", "out_s", "out_z"], outputs: ["s_q"])
        builder.node("DequantizeLinear", "y", inputs: ["s_q", "out_s", "out_z"], outputs: ["y"])
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        // Quantised input 0, 1, 2, 3 (scale 0.5): mean 0.75, exactly representable at scale 0.25;
        // sigmoid(0.75) = 0.679179 → round(173.87) = 174 steps of 1/256 above 0 → 0.6796875.
        let y = try #require(try model.run(["x": Tensor(shape: [1, 1, 2, 2], values: [0, 0.5, 1.0, 1.4])])["y"])
        #expect(y.shape == [1, 1, 1, 1])
        #expect(y.values == [0.6796875])
    }

    @Test("a padded 3×3 convolution in XNNPACK gives the sums worked out by hand")
    func convolution() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 3, 3], outputs: ["c_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.5, zeroPoint: 0)
        builder.int8s("w", [Int8](repeating: 1, count: 9), dims: [1, 1, 3, 3])
        builder.floats("w_s", [0.5], dims: [1])
        builder.int8s("w_z", [0], dims: [1])
        builder.node("DequantizeLinear", "w_DQ", inputs: ["w", "w_s", "w_z"], outputs: ["w_dq"], int: ["axis": 0])
        let x = builder.qdq("x", params: "in")
        builder.node("Conv", "conv", inputs: [x, "w_dq"], outputs: ["c"], ints: ["kernel_shape": [3, 3], "pads": [1, 1, 1, 1]])
        let c = builder.qdq("c", params: "out")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let y = try #require(try model.run(["x": Tensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init))])[c])
        // Each output is 0.5 × the sum of the input's 3×3 neighbourhood (zero padding).
        #expect(y.values == [6, 10.5, 8, 13.5, 22.5, 16.5, 12, 19.5, 14])
    }

    @Test("nearest Resize ×2, AveragePool 2×2, Reshape and Softmax give the values worked out by hand")
    func resizePoolReshapeSoftmax() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["y"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 1.0 / 256, zeroPoint: -128)
        builder.floats("scales", [1, 1, 2, 2], dims: [4])
        builder.int64s("shape", [1, -1], dims: [2])
        let x = builder.qdq("x", params: "in")
        builder.node("Resize", "up", inputs: [x, "", "scales"], outputs: ["up"], strings: ["mode": "nearest"])
        let up = builder.qdq("up", params: "in")
        builder.node("AveragePool", "down", inputs: [up], outputs: ["down"], ints: ["kernel_shape": [2, 2], "strides": [2, 2]])
        let down = builder.qdq("down", params: "in")
        builder.node("Reshape", "flat", inputs: [down, "shape"], outputs: ["flat"])
        let flat = builder.qdq("flat", params: "in")
        builder.node("Softmax", "softmax", inputs: [flat], outputs: ["s"], int: ["axis": -1])
        builder.node("QuantizeLinear", "s_Q", inputs: ["s", "out_s", "out_z"], outputs: ["s_q"])
        builder.node("DequantizeLinear", "y", inputs: ["s_q", "out_s", "out_z"], outputs: ["y"])
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let output = try #require(try model.run(["x": Tensor(shape: [1, 1, 2, 2], values: [0, 1, 2, 3])])["y"])
        #expect(output.shape == [1, 4])
        // Each pixel went up to a 2×2 block and back: softmax of 0, 1, 2, 3.
        let total = (0..<4).map { exp(Float($0)) }.reduce(0, +)
        for (index, value) in output.values.enumerated() {
            #expect(abs(value - exp(Float(index)) / total) <= 1.0 / 512 + 1e-6, "class \(index): \(value)")
        }
    }

    @Test("linear Resize (half_pixel) of a ramp gives the ramp at the clamped source coordinates")
    func linearResize() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["up_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.quantization("out", scale: 0.25, zeroPoint: 0)
        builder.floats("scales", [1, 1, 2, 2], dims: [4])
        let x = builder.qdq("x", params: "in")
        builder.node("Resize", "up", inputs: [x, "", "scales"], outputs: ["up"], strings: ["mode": "linear"])
        _ = builder.qdq("up", params: "out")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let output = try #require(try model.run(["x": Tensor(shape: [1, 1, 2, 2], values: [0, 1, 2, 3])])["up_dq"])
        // Source coordinates of the 4 output lines: (i + 0.5) / 2 − 0.5, clamped to [0, 1].
        let source: [Float] = [0, 0.25, 0.75, 1]
        let expected = source.flatMap { y in source.map { x in 2 * y + x } }
        #expect(output.shape == [1, 1, 4, 4] && output.values == expected, "\(output.values)")
    }

    @Test("a Reshape of an image to another rank-4 shape keeps ONNX order, whatever the storage layout")
    func reshapeOfImage() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 2, 2, 2], outputs: ["r_dq"])
        builder.quantization("in", scale: 1, zeroPoint: 0)
        builder.int64s("shape", [1, 4, 2, 1], dims: [4])
        let x = builder.qdq("x", params: "in")
        builder.node("Reshape", "fold-me", inputs: [x, "shape"], outputs: ["r"])
        _ = builder.qdq("r", params: "in")
        let model = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        let output = try #require(try model.run(["x": Tensor(shape: [1, 2, 2, 2], values: (0..<8).map(Float.init))])["r_dq"])
        #expect(output.shape == [1, 4, 2, 1] && output.values == (0..<8).map(Float.init), "\(output.values)")
    }

    @Test("an operator the runtime does not run is refused at load with the node's name and op")
    func unsupportedOperator() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 2, 2], outputs: ["y"])
        builder.quantization("in", scale: 0.5, zeroPoint: 0)
        let x = builder.qdq("x", params: "in")
        builder.node("LpNormalization", "normalise-me", inputs: [x], outputs: ["y"])
        #expect {
            _ = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        } throws: { error in
            let refusal = error as? InferenceError
            return refusal?.isUnsupported == true && refusal!.description.contains("normalise-me") && refusal!.description.contains("LpNormalization")
        }
    }

    @Test("a float (not quantised) convolution is refused, naming the node")
    func floatGraph() throws {
        var builder = ONNXBuilder(input: "x", shape: [1, 1, 3, 3], outputs: ["y"])
        builder.floats("w", [Float](repeating: 1, count: 9), dims: [1, 1, 3, 3])
        builder.node("Conv", "float-conv", inputs: ["x", "w"], outputs: ["y"], ints: ["kernel_shape": [3, 3]])
        #expect {
            _ = try InferenceModel(onnx: try builder.serialized(), logger: quietLogger)
        } throws: { error in
            (error as? InferenceError)?.description.contains("float-conv") == true
        }
    }

    @Test("bytes that are not ONNX are refused as an unreadable model; a wrong input shape as bad input")
    func badFiles() throws {
        #expect {
            _ = try InferenceModel(onnx: Data("definitely not protobuf \u{FF}\u{FF}".utf8), logger: quietLogger)
        } throws: { error in
            (error as? InferenceError)?.isUnreadableModel == true
        }
        let model = try InferenceModel(contentsOf: Self.demo + "/model.onnx", logger: quietLogger)
        #expect(throws: InferenceError.self) {
            _ = try model.run(["image": Tensor(shape: [1, 1, 8, 8], values: [Float](repeating: 0, count: 64))])
        }
    }

    @Test("fluorobox model eval writes .npy outputs that NumPy's format reader takes back unchanged")
    func evalCommand() async throws {
        let folder = TemporaryDirectory("model-eval")
        let result = try await ProcessRunner.run(ProcessRunner.fluorobox, [
            "model", "eval", Self.demo + "/model.onnx", "--input", Self.demo + "/reference/nodule-input.npy",
            "--output", folder.file("findings.npy"), "--threads", "2",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let findings = try NumpyFile.readTensor(folder.file("findings.npy"))
        let heatmap = try NumpyFile.readTensor(folder.file("findings.heatmap.npy"))
        #expect(findings == (try NumpyFile.readTensor(Self.demo + "/reference/nodule-findings.npy")))
        #expect(heatmap == (try NumpyFile.readTensor(Self.demo + "/reference/nodule-heatmap.npy")))
        let bad = try await ProcessRunner.run(ProcessRunner.fluorobox, ["model", "eval", Self.demo + "/manifest.json", "--input", "x.npy", "--output", folder.file("o.npy")])
        #expect(bad.status != 0 && bad.stderr.contains("not a readable ONNX model"), "\(bad.stderr)")
    }
}
