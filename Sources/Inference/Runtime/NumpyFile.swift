import Foundation

/// Raw tensors as NumPy .npy files, so a tester can compare the box with any other runtime:
/// float32 (or float64, narrowed), C order, read; float32 written.
public enum NumpyFile {
    public static func readTensor(_ path: String) throws(InferenceError) -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalidInput("cannot read \(path): \(error.localizedDescription)")
        }
        let header: NumpyArrayHeader
        do {
            header = try NumpyArrayHeader(parsing: data)
        } catch {
            throw .invalidInput("\(path): \(error.description)")
        }
        guard !header.fortranOrder else { throw .invalidInput("\(path): Fortran order; save it in C order") }
        guard header.descr == "<f4" || header.descr == "<f8" else {
            throw .invalidInput("\(path): element type \(header.descr); the model takes float32 (<f4)")
        }
        let size = header.descr == "<f4" ? 4 : 8
        let count = header.elementCount
        guard data.count - header.dataOffset == count * size else {
            throw .invalidInput("\(path): \(data.count - header.dataOffset) data bytes for shape \(header.shape) of \(header.descr)")
        }
        let values: [Float] = data.withUnsafeBytes { raw in
            (0..<count).map { index in
                let offset = header.dataOffset + index * size
                return size == 4
                    ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
            }
        }
        return Tensor(shape: header.shape, values: values)
    }

    /// The bytes of a version 1.0 .npy file holding `tensor` as little-endian float32.
    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces and ended by a
        // newline to a multiple of 64 bytes, as NumPy writes it.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for value in tensor.values {
            let bits = value.bitPattern.littleEndian
            data.append(contentsOf: [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)])
        }
        return data
    }
}
