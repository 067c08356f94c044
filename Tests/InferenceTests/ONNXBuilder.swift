import Foundation
@testable import Inference
import SwiftProtobuf

/// Small ONNX graphs written by the tests themselves (with the project's own proto subset),
/// whose outputs are worked out by hand in each test.
struct ONNXBuilder {
    private(set) var model = Onnx_ModelProto()

    init(input: String, shape: [Int], outputs: [String]) {
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph.input = [Self.valueInfo(input, shape: shape)]
        model.graph.output = outputs.map { Self.valueInfo($0, shape: []) }
    }

    static func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var value = Onnx_ValueInfoProto()
        value.name = name
        value.type.tensorType.elemType = 1
        value.type.tensorType.shape.dim = shape.map { size in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(size)
            return dim
        }
        return value
    }

    mutating func floats(_ name: String, _ values: [Float], dims: [Int] = []) {
        append(name, dataType: 1, dims: dims) { $0.floatData = values }
    }

    mutating func int8s(_ name: String, _ values: [Int8], dims: [Int] = []) {
        append(name, dataType: 3, dims: dims) { $0.rawData = Data(values.map { UInt8(bitPattern: $0) }) }
    }

    private mutating func append(_ name: String, dataType: Int32, dims: [Int], values: (inout Onnx_TensorProto) -> Void) {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = dataType
        tensor.dims = dims.map(Int64.init)
        values(&tensor)
        model.graph.initializer.append(tensor)
    }

    mutating func int32s(_ name: String, _ values: [Int32], dims: [Int] = []) {
        append(name, dataType: 6, dims: dims) { $0.int32Data = values }
    }

    mutating func uint8s(_ name: String, _ values: [UInt8], dims: [Int] = []) {
        append(name, dataType: 2, dims: dims) { $0.rawData = Data(values) }
    }

    /// A scale and zero point pair named NAME_s and NAME_z.
    mutating func quantization(_ name: String, scale: Float, zeroPoint: Int8) {
        floats(name + "_s", [scale])
        int8s(name + "_z", [zeroPoint])
    }

    mutating func int64s(_ name: String, _ values: [Int64], dims: [Int] = []) {
        append(name, dataType: 7, dims: dims) { $0.int64Data = values }
    }

    mutating func node(
        _ op: String, _ name: String, inputs: [String], outputs: [String], ints: [String: [Int]] = [:], int: [String: Int] = [:],
        strings: [String: String] = [:], float: [String: Float] = [:]
    ) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = outputs
        for (key, values) in ints {
            var attribute = Onnx_AttributeProto()
            attribute.name = key
            attribute.type = .ints
            attribute.ints = values.map(Int64.init)
            node.attribute.append(attribute)
        }
        for (key, value) in int {
            var attribute = Onnx_AttributeProto()
            attribute.name = key
            attribute.type = .int
            attribute.i = Int64(value)
            node.attribute.append(attribute)
        }
        for (key, value) in float {
            var attribute = Onnx_AttributeProto()
            attribute.name = key
            attribute.type = .float
            attribute.f = value
            node.attribute.append(attribute)
        }
        for (key, value) in strings {
            var attribute = Onnx_AttributeProto()
            attribute.name = key
            attribute.type = .string
            attribute.s = Data(value.utf8)
            node.attribute.append(attribute)
        }
        model.graph.node.append(node)
    }

    /// QuantizeLinear then DequantizeLinear of `tensor` with the named parameters: returns the
    /// dequantised name.
    mutating func qdq(_ tensor: String, params: String) -> String {
        node("QuantizeLinear", tensor + "_Q", inputs: [tensor, params + "_s", params + "_z"], outputs: [tensor + "_q"])
        node("DequantizeLinear", tensor + "_DQ", inputs: [tensor + "_q", params + "_s", params + "_z"], outputs: [tensor + "_dq"])
        return tensor + "_dq"
    }

    func serialized() throws -> Data {
        try model.serializedData()
    }
}
