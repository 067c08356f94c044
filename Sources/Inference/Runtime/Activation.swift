/// An activation as the generic steps (``ElementMap``, ``Reduction``) see it: int8 with its
/// quantisation (rank 4 stored NHWC) or float32 (stored in ONNX order), addressed through the
/// storage stride of each ONNX axis so that one loop serves every layout.
enum Activation {
    case quantized(QuantizedBuffer)
    case float(FloatBuffer)

    var shape: [Int] {
        switch self {
        case .quantized(let buffer): buffer.shape
        case .float(let buffer): buffer.shape
        }
    }

    var count: Int { shape.reduce(1, *) }

    /// The storage distance between neighbours along each ONNX axis.
    var strides: [Int] {
        if case .quantized(let buffer) = self, buffer.isImage {
            let (_, h, w, c) = buffer.nhwc
            return [h * w * c, 1, w * c, c]
        }
        return Self.rowMajorStrides(shape)
    }

    var quantized: QuantizedBuffer? {
        if case .quantized(let buffer) = self { buffer } else { nil }
    }

    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    func read(_ offset: Int) -> Float {
        switch self {
        case .quantized(let buffer): buffer.dequantize(buffer.pointer[offset])
        case .float(let buffer): buffer.pointer[offset]
        }
    }

    /// Stores `value` at `offset`: QuantizeLinear's rounding and saturation for int8.
    func write(_ value: Float, at offset: Int) {
        switch self {
        case .quantized(let buffer): buffer.pointer[offset] = buffer.quantize(value)
        case .float(let buffer): buffer.pointer[offset] = value
        }
    }

    /// Values as float32 in ONNX order.
    func valuesInONNXOrder() -> [Float] {
        switch self {
        case .quantized(let buffer): buffer.dequantizedInONNXOrder()
        case .float(let buffer): Array(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count))
        }
    }

    /// The storage offset of every element of `shape`, in ONNX (row-major) order, where element
    /// `index` sits at Σ index[axis] · strides[axis]: with the strides of a buffer of another
    /// shape (zero along broadcast axes, permuted for a transpose) this addresses a view of it.
    static func offsets(shape: [Int], strides: [Int], base: Int = 0) -> [Int32] {
        precondition(shape.count == strides.count)
        let count = shape.reduce(1, *)
        var result = [Int32](repeating: 0, count: count)
        guard count > 0 else { return result }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = base
        for k in 0..<count {
            result[k] = Int32(offset)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// The strides with which an operand of `shape` is read at each element of `target` under
    /// numpy broadcasting (shapes aligned on the right; size-1 axes repeat), nil when they do not
    /// broadcast.
    static func broadcastStrides(_ shape: [Int], strides: [Int], to target: [Int]) -> [Int]? {
        guard shape.count <= target.count else { return nil }
        let lead = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for axis in shape.indices {
            if shape[axis] == target[lead + axis] {
                result[lead + axis] = shape[axis] == 1 ? 0 : strides[axis]
            } else if shape[axis] != 1 {
                return nil
            }
        }
        return result
    }

    /// numpy's broadcast shape of several shapes, nil when they do not broadcast.
    static func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var result = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let lead = rank - shape.count
            for (axis, size) in shape.enumerated() where size != 1 {
                guard result[lead + axis] == 1 || result[lead + axis] == size else { return nil }
                result[lead + axis] = size
            }
        }
        return result
    }
}
