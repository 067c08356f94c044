import Foundation

/// The header of a NumPy .npy file (format versions 1–3): element type, order and shape.
///
/// Packages keep their reference tensors as .npy so any tool (and `fluorobox model eval`)
/// can read them; the verifier checks their shapes against the manifest.
public struct NumpyArrayHeader: Sendable, Hashable {
    /// NumPy's type string, e.g. "<f4" (little-endian float32) or "<u2".
    public let descr: String
    public let fortranOrder: Bool
    public let shape: [Int]
    /// Where the array data starts.
    public let dataOffset: Int

    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes per element for the types packages use; nil for others.
    public var elementSize: Int? {
        switch descr {
        case "<f4", "<i4", "<u4": 4
        case "<f2", "<i2", "<u2": 2
        case "|u1", "|i1", "<u1", "<i1": 1
        case "<f8", "<i8", "<u8": 8
        default: nil
        }
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(parsing bytes: Data) throws(ParseError) {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        let all = [UInt8](bytes.prefix(65_536 + 12))
        guard all.count >= 10, Array(all[0..<6]) == magic else { throw ParseError(description: "not a .npy file (no \\x93NUMPY magic)") }
        let major = all[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1:
            headerLength = Int(all[8]) | Int(all[9]) << 8
            start = 10
        case 2, 3:
            guard all.count >= 12 else { throw ParseError(description: "truncated .npy header") }
            headerLength = Int(all[8]) | Int(all[9]) << 8 | Int(all[10]) << 16 | Int(all[11]) << 24
            start = 12
        default:
            throw ParseError(description: ".npy format version \(major) is not supported")
        }
        guard headerLength <= 65_536, start + headerLength <= all.count else { throw ParseError(description: "truncated .npy header") }
        let text = String(decoding: all[start..<(start + headerLength)], as: UTF8.self)
        descr = try Self.value(of: "descr", in: text).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        let order = try Self.value(of: "fortran_order", in: text)
        guard order == "False" || order == "True" else { throw ParseError(description: "fortran_order is \(order)") }
        fortranOrder = order == "True"
        let shapeText = try Self.value(of: "shape", in: text)
        guard shapeText.hasPrefix("("), shapeText.hasSuffix(")") else { throw ParseError(description: "shape \(shapeText) is not a tuple") }
        var dims: [Int] = []
        for part in shapeText.dropFirst().dropLast().split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let value = Int(trimmed), value >= 0 else { throw ParseError(description: "shape \(shapeText) has a bad dimension") }
            dims.append(value)
        }
        shape = dims
        dataOffset = start + headerLength
    }

    /// The text after `'key':` up to the next top-level comma or closing brace.
    private static func value(of key: String, in header: String) throws(ParseError) -> String {
        guard let range = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else {
            throw ParseError(description: ".npy header has no \(key)")
        }
        var depth = 0
        var out = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0, character == "," || character == "}" { break }
            out.append(character)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
