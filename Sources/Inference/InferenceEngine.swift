import CXNNPACK

/// Readiness of the XNNPACK runtime that executes models on the box's CPU.
public enum InferenceEngine {
    /// The outcome of initialising XNNPACK on this CPU.
    public enum Availability: Sendable, Hashable, CustomStringConvertible {
        case available
        /// The CPU lacks the instructions this XNNPACK build needs, or initialisation failed.
        case unavailable(reason: String)

        public var description: String {
            switch self {
            case .available: "available"
            case .unavailable(let reason): "unavailable (\(reason))"
            }
        }
    }

    /// Initialises XNNPACK (idempotent; XNNPACK counts the calls) and reports the outcome.
    public static func probe() -> Availability {
        let status = xnn_initialize(nil)
        switch status {
        case xnn_status_success: return .available
        case xnn_status_unsupported_hardware: return .unavailable(reason: "this CPU is not supported by XNNPACK")
        case xnn_status_out_of_memory: return .unavailable(reason: "out of memory")
        default: return .unavailable(reason: "xnn_initialize returned status \(status.rawValue)")
        }
    }
}
