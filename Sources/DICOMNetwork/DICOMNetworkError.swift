/// Why an association or a PDU failed, with what a person needs to act.
///
/// Protocol violations by the peer carry the A-ABORT reason the box answers with
/// (``abortReason``); hostile lengths and counts end here, never in a crash or a large allocation.
public struct DICOMNetworkError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case unrecognisedPDU = "unrecognised PDU type"
            case malformedPDU = "malformed PDU"
            case pduTooLong = "PDU longer than allowed"
            case unexpectedPDU = "PDU not expected in this state"
            case malformedCommand = "malformed DIMSE command"
            case unknownPresentationContext = "presentation context not accepted"
            case associationRejected = "association rejected"
            case associationAborted = "association aborted"
            case timeout = "timed out"
            case connectionClosed = "connection closed"
            case connectionFailed = "connection failed"
            case noAcceptedContext = "no accepted presentation context"
            case invalidFile = "file cannot be sent"
            case failedStatus = "the peer answered with a failure status"
            case bindFailed = "cannot listen"
            case invalidPeer = "invalid DICOM peer"
        }

        fileprivate let value: Value

        public static let unrecognisedPDU = Code(value: .unrecognisedPDU)
        public static let malformedPDU = Code(value: .malformedPDU)
        public static let pduTooLong = Code(value: .pduTooLong)
        public static let unexpectedPDU = Code(value: .unexpectedPDU)
        public static let malformedCommand = Code(value: .malformedCommand)
        public static let unknownPresentationContext = Code(value: .unknownPresentationContext)
        public static let associationRejected = Code(value: .associationRejected)
        public static let associationAborted = Code(value: .associationAborted)
        public static let timeout = Code(value: .timeout)
        public static let connectionClosed = Code(value: .connectionClosed)
        public static let connectionFailed = Code(value: .connectionFailed)
        public static let noAcceptedContext = Code(value: .noAcceptedContext)
        public static let invalidFile = Code(value: .invalidFile)
        public static let failedStatus = Code(value: .failedStatus)
        public static let bindFailed = Code(value: .bindFailed)
        public static let invalidPeer = Code(value: .invalidPeer)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The A-ABORT reason (PS3.8 section 9.3.8) that answers this error when the peer caused it.
    public var abortReason: AbortPDU.Reason {
        switch code {
        case .unrecognisedPDU: .unrecognisedPDU
        case .unexpectedPDU: .unexpectedPDU
        case .malformedPDU, .pduTooLong, .malformedCommand: .invalidPDUParameterValue
        case .unknownPresentationContext: .unexpectedPDUParameter
        default: .notSpecified
        }
    }

    public var description: String { "\(code): \(detail)" }
}
