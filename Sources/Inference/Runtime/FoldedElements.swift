/// A constant's values as integers or floats while ``ConstantFolding`` works on them, with the
/// ONNX element type to give back.
struct FoldedElements {
    enum Kind {
        case float, int8, uint8, int32, int64

        init?(onnxType: Int) {
            switch onnxType {
            case 1: self = .float
            case 2: self = .uint8
            case 3: self = .int8
            case 6: self = .int32
            case 7: self = .int64
            default: return nil
            }
        }
    }

    enum Values {
        case integers([Int])
        case floats([Float])
    }

    var values: Values
    var kind: Kind

    init(values: Values, kind: Kind) {
        self.values = values
        self.kind = kind
    }

    init(_ constant: ONNXGraph.Constant) {
        switch constant.values {
        case .float(let v): self.init(values: .floats(v), kind: .float)
        case .int8(let v): self.init(values: .integers(v.map(Int.init)), kind: .int8)
        case .uint8(let v): self.init(values: .integers(v.map(Int.init)), kind: .uint8)
        case .int32(let v): self.init(values: .integers(v.map(Int.init)), kind: .int32)
        case .int64(let v): self.init(values: .integers(v.map(Int.init)), kind: .int64)
        }
    }

    var integers: [Int]? {
        if case .integers(let v) = values { v } else { nil }
    }

    var floats: [Float] {
        switch values {
        case .integers(let v): v.map(Float.init)
        case .floats(let v): v
        }
    }

    var count: Int {
        switch values {
        case .integers(let v): v.count
        case .floats(let v): v.count
        }
    }

    /// ONNX Cast: floats to integers truncate toward zero; a value no integer holds is refused.
    func cast(to target: Kind) throws(InferenceError) -> FoldedElements {
        if target == .float { return FoldedElements(values: .floats(floats), kind: .float) }
        switch values {
        case .integers(let v):
            return FoldedElements(values: .integers(v), kind: target)
        case .floats(let v):
            var converted: [Int] = []
            converted.reserveCapacity(v.count)
            for value in v {
                guard value.isFinite, abs(value) < 9.2e18 else { throw .invalidGraph("a Cast of \(value) to an integer") }
                converted.append(Int(value))
            }
            return FoldedElements(values: .integers(converted), kind: target)
        }
    }

    func picking(_ indices: [Int]) -> FoldedElements {
        switch values {
        case .integers(let v): FoldedElements(values: .integers(indices.map { v[$0] }), kind: kind)
        case .floats(let v): FoldedElements(values: .floats(indices.map { v[$0] }), kind: kind)
        }
    }

    /// Elements taken from several parts in order (Concat); the first part's type wins.
    static func join(_ parts: [FoldedElements], picks: [(part: Int, index: Int)]) -> FoldedElements {
        if parts[0].kind == .float {
            let values = parts.map(\.floats)
            return FoldedElements(values: .floats(picks.map { values[$0.part][$0.index] }), kind: .float)
        }
        let values = parts.map { $0.integers ?? $0.floats.map { Int($0) } }
        return FoldedElements(values: .integers(picks.map { values[$0.part][$0.index] }), kind: parts[0].kind)
    }

    func constant(dims: [Int]) -> ONNXGraph.Constant {
        switch (kind, values) {
        case (.float, _): ONNXGraph.Constant(dims: dims, values: .float(floats))
        case (.int8, .integers(let v)): ONNXGraph.Constant(dims: dims, values: .int8(v.map { Int8(truncatingIfNeeded: $0) }))
        case (.uint8, .integers(let v)): ONNXGraph.Constant(dims: dims, values: .uint8(v.map { UInt8(truncatingIfNeeded: $0) }))
        case (.int32, .integers(let v)): ONNXGraph.Constant(dims: dims, values: .int32(v.map { Int32(truncatingIfNeeded: $0) }))
        case (.int64, .integers(let v)): ONNXGraph.Constant(dims: dims, values: .int64(v.map(Int64.init)))
        case (_, .floats(let v)): ONNXGraph.Constant(dims: dims, values: .float(v))
        }
    }

    /// Add, Sub, Mul or Div with numpy broadcasting. Integer division truncates toward zero
    /// (as ONNX Runtime's does); dividing an integer by zero is refused.
    static func arithmetic(
        _ op: String, _ a: FoldedElements, _ aDims: [Int], _ b: FoldedElements, _ bDims: [Int],
        invalid: (String) -> InferenceError
    ) throws(InferenceError) -> ONNXGraph.Constant {
        let rank = max(aDims.count, bDims.count)
        let left = Array(repeating: 1, count: rank - aDims.count) + aDims
        let right = Array(repeating: 1, count: rank - bDims.count) + bDims
        var dims: [Int] = []
        for (l, r) in zip(left, right) {
            guard l == r || l == 1 || r == 1 else { throw invalid("cannot broadcast \(aDims) with \(bDims)") }
            dims.append(l == 1 ? r : l)
        }
        func sourceIndex(_ flat: Int, _ shape: [Int]) -> Int {
            var rem = flat, index = 0, step = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let position = rem % dims[axis]
                rem /= dims[axis]
                if shape[axis] != 1 { index += position * step }
                step *= shape[axis]
            }
            return index
        }
        let total = dims.reduce(1, *)
        let pairs = (0..<total).map { (sourceIndex($0, left), sourceIndex($0, right)) }
        if let x = a.integers, let y = b.integers {
            var out: [Int] = []
            out.reserveCapacity(total)
            for (i, j) in pairs {
                switch op {
                case "Add": out.append(x[i] &+ y[j])
                case "Sub": out.append(x[i] &- y[j])
                case "Mul": out.append(x[i] &* y[j])
                default:
                    guard y[j] != 0 else { throw invalid("an integer division by zero") }
                    out.append(x[i] / y[j])
                }
            }
            return FoldedElements(values: .integers(out), kind: a.kind).constant(dims: dims)
        }
        let x = a.floats, y = b.floats
        let out = pairs.map { i, j -> Float in
            switch op {
            case "Add": x[i] + y[j]
            case "Sub": x[i] - y[j]
            case "Mul": x[i] * y[j]
            default: x[i] / y[j]
            }
        }
        return FoldedElements(values: .floats(out), kind: .float).constant(dims: dims)
    }
}
