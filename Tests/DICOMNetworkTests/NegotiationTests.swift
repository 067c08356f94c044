import DICOM
import DICOMNetwork
import Testing

@Suite("A-ASSOCIATE negotiation")
struct NegotiationTests {
    let negotiator = AssociationNegotiator(configuration: AcceptorConfiguration(aeTitle: "FLUOROBOX", acceptedCallingAETitles: ["CR1", "DX2"]))

    func request(called: String = "FLUOROBOX", calling: String = "CR1", contexts: [ProposedPresentationContext]) -> AssociateRequest {
        AssociateRequest(
            calledAETitle: called, callingAETitle: calling, presentationContexts: contexts,
            userInformation: UserInformation(maximumLength: 16_384, implementationClassUID: "1.2.3")
        )
    }

    @Test("wrong called AE, unknown calling AE and a foreign application context are rejected with the right reason")
    func rejections() {
        let contexts = [ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: ["1.2.840.10008.1.2"])]
        guard case .rejected(let called, _) = negotiator.negotiate(request(called: "OTHER", contexts: contexts)) else { Issue.record(); return }
        #expect(called == .calledAETitleNotRecognised)
        guard case .rejected(let calling, _) = negotiator.negotiate(request(calling: "INTRUDER", contexts: contexts)) else { Issue.record(); return }
        #expect(calling == .callingAETitleNotRecognised)
        var foreign = request(contexts: contexts)
        foreign.applicationContextName = "1.2.3.4"
        guard case .rejected(let context, _) = negotiator.negotiate(foreign) else { Issue.record(); return }
        #expect(context == .applicationContextNotSupported)
    }

    @Test("only decodable syntaxes and stored SOP classes are accepted; the proposer's order decides")
    func contexts() throws {
        let dx = "1.2.840.10008.5.1.4.1.1.1.1"
        let outcome = negotiator.negotiate(request(contexts: [
            ProposedPresentationContext(id: 1, abstractSyntax: dx, transferSyntaxes: [TransferSyntax.jpegExtended.uid]),
            ProposedPresentationContext(id: 3, abstractSyntax: dx, transferSyntaxes: ["1.2.840.10008.1.2.4.100", TransferSyntax.jpegLosslessSV1.uid, TransferSyntax.explicitVRLittleEndian.uid]),
            ProposedPresentationContext(id: 5, abstractSyntax: "1.2.840.10008.5.1.4.1.1.88.11", transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
            ProposedPresentationContext(id: 7, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.jpegBaseline.uid, TransferSyntax.implicitVRLittleEndian.uid]),
        ]))
        guard case .accepted(let agreement) = outcome else { Issue.record("rejected"); return }
        let results = Dictionary(uniqueKeysWithValues: agreement.accept.presentationContexts.map { ($0.id, $0) })
        #expect(results[1]?.result == .transferSyntaxesNotSupported)
        #expect(results[3]?.result == .acceptance && results[3]?.transferSyntax == TransferSyntax.jpegLosslessSV1.uid)
        #expect(results[5]?.result == .abstractSyntaxNotSupported)
        #expect(results[7]?.result == .acceptance && results[7]?.transferSyntax == TransferSyntax.implicitVRLittleEndian.uid)
        #expect(Set(agreement.contexts.keys) == [3, 7])
        #expect(agreement.accept.userInformation.maximumLength == 262_144)
        #expect(agreement.accept.userInformation.implementationClassUID == Part10Writer.implementationClassUID)
        #expect(agreement.peerMaximumLength == 16_384)
    }

    @Test("C-GET role selection: the requestor becomes SCP of the storage classes it retrieves, SR included, never of the box's own services")
    func retrievalRoles() throws {
        var configuration = AcceptorConfiguration(aeTitle: "FLUOROBOX", acceptsStorageCommitment: true, servesQueryRetrieve: true)
        configuration.acceptedCallingAETitles = []
        let negotiator = AssociationNegotiator(configuration: configuration)
        let sr = "1.2.840.10008.5.1.4.1.1.88.33", dx = "1.2.840.10008.5.1.4.1.1.1.1"
        var request = request(contexts: [
            ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.studyRootGet, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
            ProposedPresentationContext(id: 3, abstractSyntax: sr, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
            ProposedPresentationContext(id: 5, abstractSyntax: dx, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
            ProposedPresentationContext(id: 7, abstractSyntax: SOPClass.storageCommitmentPushModel, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
        ])
        request.userInformation.roleSelections = [
            RoleSelection(abstractSyntax: sr, scuRole: false, scpRole: true),
            RoleSelection(abstractSyntax: dx, scuRole: true, scpRole: true),
            RoleSelection(abstractSyntax: SOPClass.storageCommitmentPushModel, scuRole: true, scpRole: true),
        ]
        guard case .accepted(let agreement) = negotiator.negotiate(request) else {
            Issue.record("rejected")
            return
        }
        #expect(Set(agreement.contexts.keys) == [1, 3, 5, 7])
        let roles = Dictionary(uniqueKeysWithValues: agreement.accept.userInformation.roleSelections.map { ($0.abstractSyntax, $0) })
        #expect(roles[sr] == RoleSelection(abstractSyntax: sr, scuRole: false, scpRole: true))
        #expect(roles[dx] == RoleSelection(abstractSyntax: dx, scuRole: true, scpRole: true))
        #expect(roles[SOPClass.storageCommitmentPushModel]?.scpRole == false)

        // Without query/retrieve nothing changes: SR is refused and no requestor is an SCP.
        guard case .accepted(let plain) = AssociationNegotiator(configuration: AcceptorConfiguration(aeTitle: "FLUOROBOX")).negotiate(request) else {
            Issue.record("rejected")
            return
        }
        #expect(plain.contexts[3] == nil)
        #expect(plain.accept.userInformation.roleSelections.allSatisfy { !$0.scpRole })
    }

    @Test("storage commitment reports: a peer of dicom.peers proposing the SCP role gets it (and only that context if not otherwise accepted); any other AE does not")
    func commitmentReportRole() {
        let configuration = AcceptorConfiguration(
            aeTitle: "FLUOROBOX", acceptedCallingAETitles: ["CR1"], acceptsStorageCommitment: true, commitmentReportAETitles: ["PACS", "CR1"]
        )
        let negotiator = AssociationNegotiator(configuration: configuration)
        let dx = "1.2.840.10008.5.1.4.1.1.1.1"
        func proposal(calling: String, scpRole: Bool) -> AssociateRequest {
            var proposal = request(calling: calling, contexts: [
                ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.storageCommitmentPushModel, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
                ProposedPresentationContext(id: 3, abstractSyntax: dx, transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid]),
            ])
            proposal.userInformation.roleSelections = [RoleSelection(abstractSyntax: SOPClass.storageCommitmentPushModel, scuRole: false, scpRole: scpRole)]
            return proposal
        }
        // PACS is a peer, not an accepted modality: the report context only, with the SCP role.
        guard case .accepted(let pacs) = negotiator.negotiate(proposal(calling: "PACS", scpRole: true)) else { Issue.record("PACS rejected"); return }
        #expect(pacs.peerReportsCommitments)
        #expect(Set(pacs.contexts.keys) == [1])
        #expect(pacs.accept.userInformation.roleSelections == [RoleSelection(abstractSyntax: SOPClass.storageCommitmentPushModel, scuRole: false, scpRole: true)])
        // Without proposing the SCP role PACS is an unknown calling AE as before.
        guard case .rejected(let reason, _) = negotiator.negotiate(proposal(calling: "PACS", scpRole: false)) else { Issue.record("accepted"); return }
        #expect(reason == .callingAETitleNotRecognised)
        // CR1 is both: everything it may do, the report role included.
        guard case .accepted(let both) = negotiator.negotiate(proposal(calling: "CR1", scpRole: true)) else { Issue.record("CR1 rejected"); return }
        #expect(both.peerReportsCommitments && Set(both.contexts.keys) == [1, 3])
        // An accepted modality that is no peer keeps the push model as the box's service, no SCP role.
        let noPeers = AssociationNegotiator(configuration: AcceptorConfiguration(aeTitle: "FLUOROBOX", acceptsStorageCommitment: true))
        guard case .accepted(let other) = noPeers.negotiate(proposal(calling: "CR1", scpRole: true)) else { Issue.record("rejected"); return }
        #expect(!other.peerReportsCommitments)
        #expect(other.accept.userInformation.roleSelections.allSatisfy { !$0.scpRole })
    }
}
