/// Why a model cannot be loaded or run, with what a person needs to act: the node and operator
/// for a graph the runtime does not take, the XNNPACK call and status for a runtime failure.
public struct InferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case unreadableModel
        case unsupported
        case invalidGraph
        case invalidInput
        case xnnpack
    }

    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The file is not an ONNX model the parser can read.
    public var isUnreadableModel: Bool { code == .unreadableModel }
    /// A node, type or shape the runtime does not execute; the message names node and operator.
    public var isUnsupported: Bool { code == .unsupported }

    static func unreadable(_ reason: String) -> InferenceError {
        InferenceError(.unreadableModel, "not a readable ONNX model: \(reason)")
    }

    static func unsupported(node: String, op: String, _ reason: String) -> InferenceError {
        InferenceError(.unsupported, "node \"\(node)\" (\(op)): \(reason)")
    }

    static func invalidGraph(_ reason: String) -> InferenceError {
        InferenceError(.invalidGraph, "the graph is inconsistent: \(reason)")
    }

    static func invalidInput(_ reason: String) -> InferenceError {
        InferenceError(.invalidInput, "bad input: \(reason)")
    }

    static func xnnpack(_ call: String, status: UInt32) -> InferenceError {
        let name = switch status {
        case 1: "uninitialized"
        case 2: "invalid parameter"
        case 3: "invalid state"
        case 4: "unsupported parameter"
        case 5: "unsupported hardware"
        case 6: "out of memory"
        default: "status \(status)"
        }
        return InferenceError(.xnnpack, "XNNPACK \(call) failed: \(name)")
    }
}
