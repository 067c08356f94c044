import NIOCore

/// One protocol data unit of the DICOM upper layer (PS3.8 section 9.3).
public enum PDU: Sendable, Equatable {
    case associateRequest(AssociateRequest)
    case associateAccept(AssociateAccept)
    case associateReject(AssociateReject)
    case data([PresentationDataValue])
    case releaseRequest
    case releaseResponse
    case abort(AbortPDU)

    /// The PDU type byte.
    public enum Kind: UInt8, Sendable {
        case associateRequest = 0x01
        case associateAccept = 0x02
        case associateReject = 0x03
        case data = 0x04
        case releaseRequest = 0x05
        case releaseResponse = 0x06
        case abort = 0x07
    }

    public var kind: Kind {
        switch self {
        case .associateRequest: .associateRequest
        case .associateAccept: .associateAccept
        case .associateReject: .associateReject
        case .data: .data
        case .releaseRequest: .releaseRequest
        case .releaseResponse: .releaseResponse
        case .abort: .abort
        }
    }

    /// The DICOM application context, the only one there is (PS3.7 annex A.2.1).
    public static let applicationContextName = "1.2.840.10008.3.1.1.1"
    public static let protocolVersion: UInt16 = 0x0001
}

/// A-ASSOCIATE-RQ: who calls whom, and what it proposes.
public struct AssociateRequest: Sendable, Equatable {
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContextName: String = PDU.applicationContextName
    public var protocolVersion: UInt16 = PDU.protocolVersion
    public var presentationContexts: [ProposedPresentationContext]
    public var userInformation: UserInformation

    public init(
        calledAETitle: String, callingAETitle: String, presentationContexts: [ProposedPresentationContext],
        userInformation: UserInformation
    ) {
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

/// A-ASSOCIATE-AC: the answer to each proposed context.
public struct AssociateAccept: Sendable, Equatable {
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContextName: String = PDU.applicationContextName
    public var protocolVersion: UInt16 = PDU.protocolVersion
    public var presentationContexts: [PresentationContextResult]
    public var userInformation: UserInformation

    public init(
        calledAETitle: String, callingAETitle: String, presentationContexts: [PresentationContextResult],
        userInformation: UserInformation
    ) {
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

/// A-ASSOCIATE-RJ (PS3.8 section 9.3.4).
public struct AssociateReject: Sendable, Equatable, CustomStringConvertible {
    public enum Result: UInt8, Sendable {
        case permanent = 1
        case transient = 2
    }

    public enum Source: UInt8, Sendable {
        case serviceUser = 1
        case serviceProviderACSE = 2
        case serviceProviderPresentation = 3
    }

    public var result: Result
    public var source: Source
    /// Meaning depends on the source: for the service user 1 no reason, 2 application context
    /// not supported, 3 calling AE not recognised, 7 called AE not recognised; for ACSE 2 protocol
    /// version not supported; for presentation 1 congestion, 2 local limit exceeded.
    public var reason: UInt8

    public init(result: Result, source: Source, reason: UInt8) {
        self.result = result
        self.source = source
        self.reason = reason
    }

    public static let noReason = AssociateReject(result: .permanent, source: .serviceUser, reason: 1)
    public static let applicationContextNotSupported = AssociateReject(result: .permanent, source: .serviceUser, reason: 2)
    public static let callingAETitleNotRecognised = AssociateReject(result: .permanent, source: .serviceUser, reason: 3)
    public static let calledAETitleNotRecognised = AssociateReject(result: .permanent, source: .serviceUser, reason: 7)
    public static let protocolVersionNotSupported = AssociateReject(result: .permanent, source: .serviceProviderACSE, reason: 2)
    public static let localLimitExceeded = AssociateReject(result: .transient, source: .serviceProviderPresentation, reason: 2)

    public var description: String {
        let why: String = switch (source, reason) {
        case (.serviceUser, 2): "application context not supported"
        case (.serviceUser, 3): "calling AE title not recognised"
        case (.serviceUser, 7): "called AE title not recognised"
        case (.serviceProviderACSE, 2): "protocol version not supported"
        case (.serviceProviderPresentation, 1): "temporary congestion"
        case (.serviceProviderPresentation, 2): "local limit exceeded (too many associations)"
        default: "no reason given"
        }
        return "\(result == .permanent ? "permanent" : "transient") rejection: \(why)"
    }
}

/// A-ABORT (PS3.8 section 9.3.8).
public struct AbortPDU: Sendable, Equatable, CustomStringConvertible {
    public enum Source: UInt8, Sendable {
        case serviceUser = 0
        case serviceProvider = 2
    }

    public enum Reason: UInt8, Sendable {
        case notSpecified = 0
        case unrecognisedPDU = 1
        case unexpectedPDU = 2
        case unrecognisedPDUParameter = 4
        case unexpectedPDUParameter = 5
        case invalidPDUParameterValue = 6
    }

    public var source: Source
    /// Raw reason byte; only meaningful when the provider aborts.
    public var reason: UInt8

    public init(source: Source, reason: Reason = .notSpecified) {
        self.source = source
        self.reason = reason.rawValue
    }

    init(source: Source, rawReason: UInt8) {
        self.source = source
        self.reason = rawReason
    }

    public var description: String {
        "aborted by the \(source == .serviceUser ? "peer application" : "peer's upper layer") (reason \(reason))"
    }
}

/// One proposed presentation context: an abstract syntax and the transfer syntaxes the
/// requestor can send it in, in its order of preference.
public struct ProposedPresentationContext: Sendable, Equatable {
    /// Odd, 1...255.
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntaxes: [String]

    public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
        self.id = id
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }
}

/// The acceptor's answer to one proposed presentation context.
public struct PresentationContextResult: Sendable, Equatable {
    public enum Result: UInt8, Sendable {
        case acceptance = 0
        case userRejection = 1
        case noReason = 2
        case abstractSyntaxNotSupported = 3
        case transferSyntaxesNotSupported = 4
    }

    public var id: UInt8
    public var result: Result
    /// The chosen syntax on acceptance; ignored otherwise (but always present on the wire).
    public var transferSyntax: String

    public init(id: UInt8, result: Result, transferSyntax: String) {
        self.id = id
        self.result = result
        self.transferSyntax = transferSyntax
    }
}

/// User information sub-items (PS3.7 annex D.3.3, PS3.8 annex D.1).
public struct UserInformation: Sendable, Equatable {
    /// Largest P-DATA-TF variable field the sender will accept; 0 means no limit.
    public var maximumLength: UInt32
    public var implementationClassUID: String
    public var implementationVersionName: String?
    /// Role selection proposals by abstract syntax: (SCU role, SCP role).
    public var roleSelections: [RoleSelection]
    /// Asynchronous operations window, when proposed: (invoked, performed).
    public var asynchronousOperationsWindow: (invoked: UInt16, performed: UInt16)?

    public init(
        maximumLength: UInt32, implementationClassUID: String, implementationVersionName: String? = nil,
        roleSelections: [RoleSelection] = [], asynchronousOperationsWindow: (invoked: UInt16, performed: UInt16)? = nil
    ) {
        self.maximumLength = maximumLength
        self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
        self.roleSelections = roleSelections
        self.asynchronousOperationsWindow = asynchronousOperationsWindow
    }

    public static func == (lhs: UserInformation, rhs: UserInformation) -> Bool {
        lhs.maximumLength == rhs.maximumLength && lhs.implementationClassUID == rhs.implementationClassUID
            && lhs.implementationVersionName == rhs.implementationVersionName && lhs.roleSelections == rhs.roleSelections
            && lhs.asynchronousOperationsWindow?.invoked == rhs.asynchronousOperationsWindow?.invoked
            && lhs.asynchronousOperationsWindow?.performed == rhs.asynchronousOperationsWindow?.performed
    }
}

/// SCP/SCU role selection sub-item (PS3.7 annex D.3.3.4).
public struct RoleSelection: Sendable, Equatable {
    public var abstractSyntax: String
    public var scuRole: Bool
    public var scpRole: Bool

    public init(abstractSyntax: String, scuRole: Bool, scpRole: Bool) {
        self.abstractSyntax = abstractSyntax
        self.scuRole = scuRole
        self.scpRole = scpRole
    }
}

/// One presentation data value: a fragment of a command or a data set on one context.
public struct PresentationDataValue: Sendable, Equatable {
    public var contextID: UInt8
    public var isCommand: Bool
    public var isLastFragment: Bool
    /// The fragment's bytes; a slice of the received PDU, not a copy.
    public var data: ByteBuffer

    public init(contextID: UInt8, isCommand: Bool, isLastFragment: Bool, data: ByteBuffer) {
        self.contextID = contextID
        self.isCommand = isCommand
        self.isLastFragment = isLastFragment
        self.data = data
    }
}
