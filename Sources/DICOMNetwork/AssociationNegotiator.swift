import DICOM

/// The acceptor's side of A-ASSOCIATE negotiation: checks the AE titles and answers each
/// proposed presentation context.
public struct AssociationNegotiator: Sendable {
    public let configuration: AcceptorConfiguration
    private let acceptedSyntaxes: Set<String>
    private let acceptedAbstractSyntaxes: Set<String>

    /// The syntaxes a Verification context may use: its only message has no data set.
    private static let verificationSyntaxes: Set<String> = [
        TransferSyntax.implicitVRLittleEndian.uid, TransferSyntax.explicitVRLittleEndian.uid,
        TransferSyntax.explicitVRBigEndian.uid,
    ]

    /// The syntaxes a storage commitment context may use: the box reads and writes its data sets itself.
    private static let commitmentSyntaxes = Set(CommitmentDataSetWriter.transferSyntaxes.map(\.uid))

    public init(configuration: AcceptorConfiguration) {
        self.configuration = configuration
        acceptedSyntaxes = Set(configuration.transferSyntaxes.map(\.uid))
        acceptedAbstractSyntaxes = Set(
            configuration.storageSOPClasses + [SOPClass.verification]
                + (configuration.acceptsStorageCommitment ? [SOPClass.storageCommitmentPushModel] : [])
        )
    }

    /// An association the box agreed to: the accepted contexts by ID, with the peer's limits.
    public struct Agreement: Sendable {
        public var accept: AssociateAccept
        /// Accepted contexts: ID → (abstract syntax, transfer syntax).
        public var contexts: [UInt8: AcceptedContext]
        /// The largest P-DATA-TF the peer takes; 0 means no limit.
        public var peerMaximumLength: UInt32
    }

    public enum Outcome: Sendable {
        case accepted(Agreement)
        case rejected(AssociateReject, reason: String)
    }

    public func negotiate(_ request: AssociateRequest) -> Outcome {
        guard request.protocolVersion & 0x0001 != 0 else {
            return .rejected(.protocolVersionNotSupported, reason: "protocol version \(request.protocolVersion)")
        }
        guard request.applicationContextName == PDU.applicationContextName else {
            return .rejected(.applicationContextNotSupported, reason: "application context \(request.applicationContextName)")
        }
        guard request.calledAETitle == configuration.aeTitle else {
            return .rejected(.calledAETitleNotRecognised, reason: "called AE title \"\(request.calledAETitle)\", this box is \"\(configuration.aeTitle)\"")
        }
        guard configuration.acceptedCallingAETitles.isEmpty || configuration.acceptedCallingAETitles.contains(request.callingAETitle) else {
            return .rejected(.callingAETitleNotRecognised, reason: "calling AE title \"\(request.callingAETitle)\" is not in dicom.acceptedCallingAETitles")
        }
        var results: [PresentationContextResult] = []
        var contexts: [UInt8: AcceptedContext] = [:]
        for proposed in request.presentationContexts {
            let result = answer(proposed)
            results.append(result)
            if result.result == .acceptance {
                contexts[proposed.id] = AcceptedContext(
                    id: proposed.id, abstractSyntax: proposed.abstractSyntax,
                    transferSyntax: TransferSyntax(uid: result.transferSyntax)
                )
            }
        }
        let roles = request.userInformation.roleSelections
            .filter { acceptedAbstractSyntaxes.contains($0.abstractSyntax) }
            .map { RoleSelection(abstractSyntax: $0.abstractSyntax, scuRole: $0.scuRole, scpRole: false) }
        let accept = AssociateAccept(
            calledAETitle: request.calledAETitle, callingAETitle: request.callingAETitle,
            presentationContexts: results,
            userInformation: UserInformation(
                maximumLength: UInt32(configuration.maximumPDULength),
                implementationClassUID: configuration.implementationClassUID,
                implementationVersionName: configuration.implementationVersionName,
                roleSelections: roles
            )
        )
        return .accepted(Agreement(accept: accept, contexts: contexts, peerMaximumLength: request.userInformation.maximumLength))
    }

    /// Accepts the first proposed transfer syntax (the requestor's preference) the box can decode.
    private func answer(_ proposed: ProposedPresentationContext) -> PresentationContextResult {
        guard acceptedAbstractSyntaxes.contains(proposed.abstractSyntax) else {
            return PresentationContextResult(id: proposed.id, result: .abstractSyntaxNotSupported, transferSyntax: proposed.transferSyntaxes[0])
        }
        let usable = switch proposed.abstractSyntax {
        case SOPClass.verification: Self.verificationSyntaxes
        case SOPClass.storageCommitmentPushModel: Self.commitmentSyntaxes
        default: acceptedSyntaxes
        }
        guard let chosen = proposed.transferSyntaxes.first(where: { usable.contains($0) }) else {
            return PresentationContextResult(id: proposed.id, result: .transferSyntaxesNotSupported, transferSyntax: proposed.transferSyntaxes[0])
        }
        return PresentationContextResult(id: proposed.id, result: .acceptance, transferSyntax: chosen)
    }
}

/// A presentation context both sides agreed on.
public struct AcceptedContext: Sendable, Hashable {
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntax: TransferSyntax
}
