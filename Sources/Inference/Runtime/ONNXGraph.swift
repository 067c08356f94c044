import Foundation
import SwiftProtobuf

/// An ONNX model read into plain Swift values: nodes in file order (ONNX requires topological
/// order), constant tensors decoded, and the graph's inputs and outputs with fixed shapes.
struct ONNXGraph {
    struct Node {
        var name: String
        var op: String
        var domain: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [String: Onnx_AttributeProto]

        func int(_ key: String, default value: Int) -> Int {
            attributes[key].map { Int($0.i) } ?? value
        }

        func ints(_ key: String) -> [Int]? {
            attributes[key].map { $0.ints.map(Int.init) }
        }

        func float(_ key: String, default value: Float) -> Float {
            attributes[key].map(\.f) ?? value
        }

        func string(_ key: String) -> String? {
            attributes[key].map { String(decoding: $0.s, as: UTF8.self) }
        }
    }

    /// A constant (initializer), decoded into the Swift array of its element type.
    struct Constant {
        enum Values {
            case float([Float])
            case int8([Int8])
            case uint8([UInt8])
            case int32([Int32])
            case int64([Int64])
        }

        var dims: [Int]
        var values: Values

        var count: Int { dims.reduce(1, *) }

        var floats: [Float]? {
            switch values {
            case .float(let v): v
            case .int8(let v): v.map(Float.init)
            case .uint8(let v): v.map(Float.init)
            case .int32(let v): v.map(Float.init)
            case .int64(let v): v.map(Float.init)
            }
        }
    }

    var opsetVersion: Int
    var nodes: [Node]
    var constants: [String: Constant]
    var inputs: [TensorSpec]
    var outputs: [TensorSpec]

    init(serialized data: Data) throws(InferenceError) {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .unreadable("\(error)")
        }
        guard model.hasGraph else { throw .unreadable("the model has no graph") }
        opsetVersion = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
        let graph = model.graph
        var constants: [String: Constant] = [:]
        for tensor in graph.initializer {
            constants[tensor.name] = try Self.decode(tensor)
        }
        var nodes: [Node] = []
        for (index, node) in graph.node.enumerated() {
            let read = Node(
                name: node.name.isEmpty ? "\(node.opType)#\(index)" : node.name, op: node.opType, domain: node.domain,
                inputs: node.input, outputs: node.output,
                attributes: Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            )
            // Exporters write constants as Constant nodes too (torch does for shape pieces).
            if read.op == "Constant", read.domain.isEmpty || read.domain == "ai.onnx", read.outputs.count == 1 {
                constants[read.outputs[0]] = try Self.constant(of: read)
            } else {
                nodes.append(read)
            }
        }
        self.constants = constants
        self.nodes = nodes
        inputs = graph.input.filter { constants[$0.name] == nil }.map(Self.spec)
        outputs = graph.output.map(Self.spec)
    }

    /// The value of a Constant node: a tensor, or one of the scalar and list forms (opset 12).
    private static func constant(of node: Node) throws(InferenceError) -> Constant {
        if let value = node.attributes["value"] { return try decode(value.t) }
        if let value = node.attributes["value_float"] { return Constant(dims: [], values: .float([value.f])) }
        if let value = node.attributes["value_floats"] { return Constant(dims: [value.floats.count], values: .float(value.floats)) }
        if let value = node.attributes["value_int"] { return Constant(dims: [], values: .int64([value.i])) }
        if let value = node.attributes["value_ints"] { return Constant(dims: [value.ints.count], values: .int64(value.ints)) }
        throw .unsupported(node: node.name, op: node.op, "a value of this form (only tensors, floats and ints)")
    }

    private static func spec(_ value: Onnx_ValueInfoProto) -> TensorSpec {
        let dims = value.type.tensorType.shape.dim.map { dim -> Int in
            if case .dimValue(let size)? = dim.value, size > 0 { return Int(size) }
            return 1  // a symbolic dimension (the batch): one image at a time
        }
        return TensorSpec(name: value.name, shape: dims)
    }

    static func decode(_ tensor: Onnx_TensorProto) throws(InferenceError) -> Constant {
        guard tensor.dataLocation == 0 else { throw .unreadable("tensor \(tensor.name) keeps its data in an external file") }
        let dims = tensor.dims.map(Int.init)
        guard dims.allSatisfy({ $0 >= 0 }) else { throw .unreadable("tensor \(tensor.name) has a negative dimension") }
        let count = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard count < 1 << 28 else { throw .unreadable("tensor \(tensor.name) is too large (\(dims))") }
        let raw = [UInt8](tensor.rawData)
        func fromRaw<T>(_ type: T.Type, _ make: (UnsafeRawBufferPointer, Int) -> T) throws(InferenceError) -> [T] {
            let size = MemoryLayout<T>.size
            guard raw.count == count * size else {
                throw .unreadable("tensor \(tensor.name) holds \(raw.count) bytes, its shape \(dims) needs \(count * size)")
            }
            return raw.withUnsafeBytes { buffer in (0..<count).map { make(buffer, $0 * size) } }
        }
        let values: Constant.Values
        switch tensor.dataType {
        case 1:
            if raw.isEmpty {
                values = .float(tensor.floatData)
            } else {
                values = .float(try fromRaw(Float.self) { Float(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self).littleEndian) })
            }
        case 3:
            values = .int8(raw.isEmpty ? tensor.int32Data.map { Int8(truncatingIfNeeded: $0) } : raw.map { Int8(bitPattern: $0) })
        case 2:
            values = .uint8(raw.isEmpty ? tensor.int32Data.map { UInt8(truncatingIfNeeded: $0) } : raw)
        case 6:
            values = .int32(raw.isEmpty ? tensor.int32Data : try fromRaw(Int32.self) { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self)) })
        case 7:
            values = .int64(raw.isEmpty ? tensor.int64Data : try fromRaw(Int64.self) { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self)) })
        default:
            throw .unreadable("tensor \(tensor.name) has ONNX data type \(tensor.dataType), which the runtime does not take")
        }
        let decoded = Constant(dims: dims, values: values)
        let stored: Int = switch values {
        case .float(let v): v.count
        case .int8(let v): v.count
        case .uint8(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        }
        guard stored == count else { throw .unreadable("tensor \(tensor.name) holds \(stored) values, its shape \(dims) needs \(count)") }
        return decoded
    }
}
