/// Operators evaluated once at load when everything they read is known: the shape arithmetic
/// exporters write around a Reshape (torch's `x.view(x.size(0), -1)` is Shape → Gather →
/// Unsqueeze → Concat → Reshape, often with Constant and Cast on the way). The operator that
/// takes the result then sees a constant, as it does in ONNX Runtime after its own folding.
enum ConstantFolding {
    typealias Constant = ONNXGraph.Constant

    static let operators: Set<String> = [
        "Shape", "ConstantOfShape", "Identity", "Cast", "Unsqueeze", "Squeeze", "Reshape", "Flatten",
        "Concat", "Gather", "Slice", "Add", "Sub", "Mul", "Div",
    ]

    /// Largest constant folding may make (ConstantOfShape could otherwise be asked for gigabytes).
    static let maximumCount = 1 << 22

    /// The output of `node` when it can be evaluated now: every input a constant, or for Shape an
    /// input whose shape `shapeOf` knows. nil when the node must run with the model.
    static func fold(
        _ node: ONNXGraph.Node, constants: [String: Constant], opsetVersion: Int, shapeOf: (String) -> [Int]?
    ) throws(InferenceError) -> Constant? {
        guard operators.contains(node.op), node.outputs.count == 1, !node.inputs.isEmpty else { return nil }
        if node.op == "Shape" {
            guard let shape = shapeOf(node.inputs[0]) ?? constants[node.inputs[0]]?.dims else { return nil }
            let rank = shape.count
            func bound(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
            let start = bound(node.int("start", default: 0)), end = bound(node.int("end", default: rank))
            let picked = start < end ? Array(shape[start..<end]) : []
            return Constant(dims: [picked.count], values: .int64(picked.map(Int64.init)))
        }
        var inputs: [Constant?] = []
        for name in node.inputs {
            if name.isEmpty { inputs.append(nil); continue }
            guard let constant = constants[name] else { return nil }
            inputs.append(constant)
        }
        guard let first = inputs[0] else { return nil }
        let folded = try evaluate(node, first, Array(inputs.dropFirst()), opsetVersion: opsetVersion)
        guard folded.count <= maximumCount else {
            throw .unsupported(node: node.name, op: node.op, "a constant of \(folded.count) values")
        }
        return folded
    }

    private static func evaluate(_ node: ONNXGraph.Node, _ x: Constant, _ rest: [Constant?], opsetVersion: Int) throws(InferenceError) -> Constant {
        func invalid(_ why: String) -> InferenceError { .invalidGraph("node \(node.name) (\(node.op)): \(why)") }
        func integers(_ index: Int) -> [Int]? {
            guard index < rest.count, let constant = rest[index] else { return nil }
            return FoldedElements(constant).integers
        }
        func axisList(_ index: Int) -> [Int]? { node.ints("axes") ?? integers(index) }
        func normalised(_ axis: Int, rank: Int) throws(InferenceError) -> Int {
            let value = axis < 0 ? axis + rank : axis
            guard value >= 0, value < rank else { throw invalid("axis \(axis) of rank \(rank)") }
            return value
        }
        let elements = FoldedElements(x)
        switch node.op {
        case "Identity":
            return x
        case "Cast":
            guard let kind = FoldedElements.Kind(onnxType: node.int("to", default: 0)) else {
                throw .unsupported(node: node.name, op: node.op, "a cast to ONNX type \(node.int("to", default: 0)) of a constant")
            }
            return try elements.cast(to: kind).constant(dims: x.dims)
        case "ConstantOfShape":
            guard let dims = elements.integers, dims.allSatisfy({ $0 >= 0 }) else { throw invalid("the shape is not a list of sizes") }
            let count = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard count <= maximumCount else { throw .unsupported(node: node.name, op: node.op, "a constant of \(dims) values") }
            var fill = FoldedElements(values: .floats([0]), kind: .float)
            if let value = node.attributes["value"] {
                fill = FoldedElements(try ONNXGraph.decode(value.t))
                guard fill.count == 1 else { throw invalid("its value holds \(fill.count) elements, not one") }
            }
            return fill.picking(Array(repeating: 0, count: count)).constant(dims: dims)
        case "Unsqueeze":
            guard let axes = opsetVersion >= 13 ? integers(0) : node.ints("axes") else { throw invalid("no axes") }
            let rank = x.dims.count + axes.count
            var dims = x.dims
            for axis in try axes.map({ (axis) throws(InferenceError) in try normalised(axis, rank: rank) }).sorted() {
                dims.insert(1, at: axis)
            }
            return Constant(dims: dims, values: x.values)
        case "Squeeze":
            let axes = try (opsetVersion >= 13 ? integers(0) : node.ints("axes"))?.map { (axis) throws(InferenceError) in try normalised(axis, rank: x.dims.count) }
            var dims: [Int] = []
            for (axis, size) in x.dims.enumerated() {
                let squeezed = axes.map { $0.contains(axis) } ?? (size == 1)
                if squeezed, size != 1 { throw invalid("axis \(axis) has size \(size), not 1") }
                if !squeezed { dims.append(size) }
            }
            return Constant(dims: dims, values: x.values)
        case "Reshape":
            guard let requested = integers(0) else { throw invalid("no target shape") }
            var dims = requested.enumerated().map { index, size in
                size == 0 && node.int("allowzero", default: 0) == 0 && index < x.dims.count ? x.dims[index] : size
            }
            if let unknown = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
                guard known > 0, x.count % known == 0 else { throw invalid("cannot reshape \(x.dims) to \(requested)") }
                dims[unknown] = x.count / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == x.count else { throw invalid("cannot reshape \(x.dims) to \(requested)") }
            return Constant(dims: dims, values: x.values)
        case "Flatten":
            let axis = node.int("axis", default: 1)
            let split = axis < 0 ? axis + x.dims.count : axis
            guard split >= 0, split <= x.dims.count else { throw invalid("axis \(axis) of rank \(x.dims.count)") }
            return Constant(dims: [x.dims[..<split].reduce(1, *), x.dims[split...].reduce(1, *)], values: x.values)
        case "Concat":
            let parts = [x] + rest.compactMap { $0 }
            let axis = try normalised(node.int("axis", default: 0), rank: x.dims.count)
            for part in parts where part.dims.count != x.dims.count
                || part.dims.enumerated().contains(where: { $0.offset != axis && $0.element != x.dims[$0.offset] }) {
                throw invalid("cannot join \(part.dims) to \(x.dims) on axis \(axis)")
            }
            let outer = x.dims[..<axis].reduce(1, *)
            var picks: [(part: Int, index: Int)] = []
            for block in 0..<outer {
                for (partIndex, part) in parts.enumerated() {
                    let run = part.dims[axis...].reduce(1, *)
                    picks += (0..<run).map { (partIndex, block * run + $0) }
                }
            }
            let joined = FoldedElements.join(parts.map(FoldedElements.init), picks: picks)
            var dims = x.dims
            dims[axis] = parts.map { $0.dims[axis] }.reduce(0, +)
            return joined.constant(dims: dims)
        case "Gather":
            guard let indices = rest.first ?? nil, let wanted = FoldedElements(indices).integers else { throw invalid("indices are not integers") }
            let axis = try normalised(node.int("axis", default: 0), rank: x.dims.count)
            let size = x.dims[axis], inner = x.dims[(axis + 1)...].reduce(1, *), outer = x.dims[..<axis].reduce(1, *)
            var picks: [Int] = []
            for block in 0..<outer {
                for index in wanted {
                    let row = index < 0 ? index + size : index
                    guard row >= 0, row < size else { throw invalid("index \(index) out of \(size)") }
                    picks += (0..<inner).map { (block * size + row) * inner + $0 }
                }
            }
            return elements.picking(picks).constant(dims: Array(x.dims[..<axis]) + indices.dims + Array(x.dims[(axis + 1)...]))
        case "Slice":
            return try slice(node, x, rest, opsetVersion: opsetVersion, invalid: invalid)
        default:  // Add, Sub, Mul, Div
            guard let y = rest.first ?? nil else { throw invalid("a second operand is missing") }
            return try FoldedElements.arithmetic(node.op, elements, x.dims, FoldedElements(y), y.dims, invalid: invalid)
        }
    }

    private static func slice(
        _ node: ONNXGraph.Node, _ x: Constant, _ rest: [Constant?], opsetVersion: Int, invalid: (String) -> InferenceError
    ) throws(InferenceError) -> Constant {
        func list(_ index: Int, attribute: String) -> [Int]? {
            if opsetVersion < 10 { return node.ints(attribute) }
            guard index < rest.count, let constant = rest[index] else { return nil }
            return FoldedElements(constant).integers
        }
        guard let starts = list(0, attribute: "starts"), let ends = list(1, attribute: "ends"), starts.count == ends.count else {
            throw invalid("starts and ends are not lists of the same length")
        }
        let rank = x.dims.count
        let axes = list(2, attribute: "axes") ?? Array(0..<starts.count)
        let steps = (opsetVersion < 10 ? nil : list(3, attribute: "steps")) ?? Array(repeating: 1, count: starts.count)
        guard axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else { throw invalid("axes or steps do not match starts") }
        var ranges = x.dims.map { (start: 0, step: 1, count: $0) }
        for (i, raw) in axes.enumerated() {
            let axis = raw < 0 ? raw + rank : raw
            guard axis >= 0, axis < rank else { throw invalid("axis \(raw) of rank \(rank)") }
            let size = x.dims[axis], step = steps[i]
            func clamp(_ value: Int, low: Int, high: Int) -> Int { min(max(value < 0 ? value + size : value, low), high) }
            let start = step > 0 ? clamp(starts[i], low: 0, high: size) : clamp(starts[i], low: -1, high: size - 1)
            let end = step > 0 ? clamp(ends[i], low: 0, high: size) : clamp(ends[i], low: -1, high: size - 1)
            let count = step > 0 ? max(0, (end - start + step - 1) / step) : max(0, (start - end - step - 1) / -step)
            ranges[axis] = (start, step, count)
        }
        let dims = ranges.map(\.count)
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.dims[axis + 1] }
        var picks: [Int] = []
        let total = dims.reduce(1, *)
        picks.reserveCapacity(total)
        for flat in 0..<total {
            var rem = flat, source = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let position = rem % dims[axis]
                rem /= dims[axis]
                source += (ranges[axis].start + position * ranges[axis].step) * strides[axis]
            }
            picks.append(source)
        }
        return FoldedElements(x).picking(picks).constant(dims: dims)
    }
}
