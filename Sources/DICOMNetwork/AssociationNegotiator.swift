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

    /// The syntaxes a storage commitment or query/retrieve context may use: the box reads and
    /// writes their data sets (reports, identifiers) itself.
    private static let builtDataSetSyntaxes = Set(CommitmentDataSetWriter.transferSyntaxes.map(\.uid))

    /// The SOP classes of services the box performs: never storage classes the requestor retrieves.
    private static let services: Set<String> = Set(
        [SOPClass.verification, SOPClass.storageCommitmentPushModel, SOPClass.modalityWorklistFind] + SOPClass.studyRootQueryRetrieve
    )

    public init(configuration: AcceptorConfiguration) {
        self.configuration = configuration
        acceptedSyntaxes = Set(configuration.transferSyntaxes.map(\.uid))
        acceptedAbstractSyntaxes = Set(
            configuration.storageSOPClasses + [SOPClass.verification]
                + (configuration.acceptsStorageCommitment ? [SOPClass.storageCommitmentPushModel] : [])
                + (configuration.servesQueryRetrieve ? SOPClass.studyRootQueryRetrieve : [])
                + (configuration.servesWorklist ? [SOPClass.modalityWorklistFind] : [])
        )
    }

    /// An association the box agreed to: the accepted contexts by ID, with the peer's limits.
    public struct Agreement: Sendable {
        public var accept: AssociateAccept
        /// Accepted contexts: ID → (abstract syntax, transfer syntax).
        public var contexts: [UInt8: AcceptedContext]
        /// The largest P-DATA-TF the peer takes; 0 means no limit.
        public var peerMaximumLength: UInt32
        /// The peer was granted the push model's SCP role: it may send storage commitment reports.
        public var peerReportsCommitments = false
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
        // A peer of dicom.peers reporting storage commitment: the SCP role for the push model
        // (PS3.4 J.3.3.1.3). One not otherwise accepted gets that context and nothing else.
        let reportsCommitments = configuration.commitmentReportAETitles.contains(request.callingAETitle)
            && request.userInformation.roleSelections.contains { $0.abstractSyntax == SOPClass.storageCommitmentPushModel && $0.scpRole }
        let callingAccepted = configuration.acceptedCallingAETitles.isEmpty || configuration.acceptedCallingAETitles.contains(request.callingAETitle)
        guard callingAccepted || reportsCommitments else {
            return .rejected(.callingAETitleNotRecognised, reason: "calling AE title \"\(request.callingAETitle)\" is not in dicom.acceptedCallingAETitles")
        }
        var accepted = callingAccepted ? acceptedAbstractSyntaxes : []
        if reportsCommitments { accepted.insert(SOPClass.storageCommitmentPushModel) }
        // C-GET: the requestor proposes storage contexts with itself as their SCP, for the box
        // to send on; any storage class may come back, not only those the box takes in. The
        // box's own services (verification, commitment, query/retrieve) keep their roles.
        let retrievals = configuration.servesQueryRetrieve && callingAccepted
            ? Set(request.userInformation.roleSelections.filter(\.scpRole).map(\.abstractSyntax)).subtracting(Self.services) : []
        var results: [PresentationContextResult] = []
        var contexts: [UInt8: AcceptedContext] = [:]
        for proposed in request.presentationContexts {
            let result = answer(proposed, accepted: accepted, retrieval: retrievals.contains(proposed.abstractSyntax))
            results.append(result)
            if result.result == .acceptance {
                contexts[proposed.id] = AcceptedContext(
                    id: proposed.id, abstractSyntax: proposed.abstractSyntax,
                    transferSyntax: TransferSyntax(uid: result.transferSyntax)
                )
            }
        }
        let roles = request.userInformation.roleSelections
            .filter { accepted.contains($0.abstractSyntax) || retrievals.contains($0.abstractSyntax) }
            .map { proposal in
                // The requestor stays the SCU only of what the box takes in; it is the SCP of what
                // it retrieves, and of the storage commitments it reports.
                RoleSelection(
                    abstractSyntax: proposal.abstractSyntax,
                    scuRole: proposal.scuRole && callingAccepted && acceptedAbstractSyntaxes.contains(proposal.abstractSyntax),
                    scpRole: retrievals.contains(proposal.abstractSyntax)
                        || (reportsCommitments && proposal.abstractSyntax == SOPClass.storageCommitmentPushModel)
                )
            }
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
        return .accepted(Agreement(
            accept: accept, contexts: contexts, peerMaximumLength: request.userInformation.maximumLength, peerReportsCommitments: reportsCommitments
        ))
    }

    /// Accepts the first proposed transfer syntax (the requestor's preference) the box can decode;
    /// a context only for C-GET's sub-operations takes the first proposed, whatever it is (the
    /// box sends each instance on the context of its stored syntax, or decoded on one of Explicit
    /// VR Little Endian).
    private func answer(_ proposed: ProposedPresentationContext, accepted: Set<String>, retrieval: Bool) -> PresentationContextResult {
        if retrieval, !accepted.contains(proposed.abstractSyntax) {
            return PresentationContextResult(id: proposed.id, result: .acceptance, transferSyntax: proposed.transferSyntaxes[0])
        }
        guard accepted.contains(proposed.abstractSyntax) else {
            return PresentationContextResult(id: proposed.id, result: .abstractSyntaxNotSupported, transferSyntax: proposed.transferSyntaxes[0])
        }
        let usable = switch proposed.abstractSyntax {
        case SOPClass.verification: Self.verificationSyntaxes
        case SOPClass.storageCommitmentPushModel, SOPClass.studyRootFind, SOPClass.studyRootMove, SOPClass.studyRootGet,
             SOPClass.modalityWorklistFind:
            Self.builtDataSetSyntaxes
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
