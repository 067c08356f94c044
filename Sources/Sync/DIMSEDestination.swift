import DICOM
import DICOMNetwork
import Foundation
import Logging
import NIOCore
import StudyStore
import Synchronization

/// A PACS or viewer reached by C-STORE (`dimse:AE_TITLE`, the peer of that AE title in
/// `dicom.peers`): one association per item, the stored syntax proposed beside Explicit VR
/// Little Endian; when the peer takes only the latter, the instance goes decoded to native pixels
/// (never re-encoded lossily). With storage commitment the item counts as sent only once the
/// peer's report lists it; without, after C-STORE success, and the store records which.
public struct DIMSEDestination: SyncDestination {
    public let peer: DICOMPeer
    let settings: SyncSettings
    let requestsCommitment: Bool
    let counters: SyncCounters
    /// Where a commitment request is noted before the N-ACTION, for a report that comes back on
    /// the peer's own association (``DIMSECommitmentReports``); nil notes nothing.
    let store: StudyStore?
    /// Learnt from the peer: it reports on an association of its own, so waiting on ours for a
    /// report only holds the destination for `sync.dimse.commitmentWaitSeconds` per item.
    let reportsOnItsOwnAssociation = LearntFlag()
    let logger: Logger

    /// One destination's memory across its copies and deliveries.
    final class LearntFlag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set(_ newValue: Bool) { value.withLock { $0 = newValue } }
    }

    public var destination: Destination { .dimse(peer.aeTitle) }
    public var kinds: Set<OutboxKind> { [.instance] }
    public var confirmation: String? { Self.cStore }

    /// How an item confirmed by C-STORE success alone is recorded.
    public static let cStore = "c-store"

    public init(peer: DICOMPeer, settings: SyncSettings, counters: SyncCounters, store: StudyStore? = nil, logger: Logger) {
        self.peer = peer
        self.settings = settings
        self.requestsCommitment = settings.dimse.commitmentPeers.contains(peer.aeTitle)
        self.counters = counters
        self.store = store
        self.logger = logger
    }

    /// Presentation context IDs: the stored syntax, Explicit VR Little Endian, storage commitment.
    static let storedContextID: UInt8 = 1
    static let explicitContextID: UInt8 = 3
    static let commitmentContextID: UInt8 = 5

    public func deliver(_ claim: OutboxClaim) async throws(SyncError) -> DeliveryOutcome {
        guard case .blob(let blob) = claim.payload else {
            if case .unavailable(let reason) = claim.payload { return .refused(reason: reason) }
            return .refused(reason: "C-STORE carries DICOM instances only, not \(claim.item.kind)")
        }
        guard blob.format == .dicom else {
            return .refused(reason: "the instance is \(blob.format.rawValue), not DICOM; C-STORE takes DICOM only")
        }
        let bytes = try await PlatformClient.read(blob: blob, offset: 0, count: Int(blob.size))
        let file: StoreSCU.PreparedFile
        do {
            file = try StoreSCU.prepare(part10: bytes, path: blob.path)
        } catch {
            return .refused(reason: "not sendable by C-STORE: \(error)")
        }
        counters.update {
            $0.requests += 1
            $0.bodyBytesSent += Int64(file.dataSet.readableBytes)
        }
        do {
            return try await SCUAssociation.withAssociation(
                host: peer.host, port: peer.port, configuration: requestorConfiguration(for: file), logger: logger
            ) { association in
                try await send(file, part10: bytes, itemID: claim.item.id, on: association)
            }
        } catch let error as SyncError {
            throw error
        } catch let error as DICOMNetworkError {
            switch error.code {
            case .connectionFailed, .connectionClosed, .timeout:
                throw SyncError(.unreachable, "\(peer): \(error)")
            default:
                throw SyncError(.serverError, "\(peer): \(error)")
            }
        } catch {
            throw SyncError(.unreachable, "\(peer): \(error)")
        }
    }

    func requestorConfiguration(for file: StoreSCU.PreparedFile) -> RequestorConfiguration {
        var contexts = zip([Self.storedContextID, Self.explicitContextID], StoreSCU.proposedSyntaxes(for: file.meta.transferSyntax)).map { id, syntax in
            ProposedPresentationContext(id: id, abstractSyntax: file.sopClassUID, transferSyntaxes: [syntax.uid])
        }
        if requestsCommitment {
            contexts.append(ProposedPresentationContext(
                id: Self.commitmentContextID, abstractSyntax: SOPClass.storageCommitmentPushModel,
                transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]
            ))
        }
        // The idle limit bounds the wait for each answer, the commitment report included.
        let wait = requestsCommitment ? settings.dimse.commitmentWaitSeconds : settings.readTimeoutSeconds
        return RequestorConfiguration(
            callingAETitle: settings.dimse.callingAETitle, calledAETitle: peer.aeTitle, presentationContexts: contexts,
            connectTimeout: .milliseconds(Int64(settings.connectTimeoutSeconds * 1000)),
            associationTimeout: .milliseconds(Int64(max(settings.readTimeoutSeconds, 5) * 1000)),
            responseTimeout: .milliseconds(Int64(wait * 1000))
        )
    }

    /// C-STORE in the stored syntax, else decoded to Explicit VR Little Endian; then the commitment.
    func send(_ file: StoreSCU.PreparedFile, part10 bytes: [UInt8], itemID: Int64?, on association: SCUAssociation) async throws -> DeliveryOutcome {
        let dataSet: ByteBuffer
        let contextID: UInt8
        switch StoreSCU.outgoing(file, part10: bytes, receiver: peer.aeTitle, logger: logger, context: {
            association.context(sopClassUID: file.sopClassUID, transferSyntax: $0)
        }) {
        case .send(let outgoing, let id):
            dataSet = outgoing
            contextID = id
        case .refused(let reason):
            return .refused(reason: reason)
        }
        let response = try await association.store(dataSet: dataSet, sopClassUID: file.sopClassUID, sopInstanceUID: file.sopInstanceUID, contextID: contextID)
        let status = response.status ?? .processingFailure
        guard status.isSuccess || status.isWarning else {
            let detail = "C-STORE answered \(status)\(response.errorComment.map { ": \($0)" } ?? "")"
            // A data set the peer says does not fit its SOP class, or a class it does not
            // support, will not be taken later either; anything else (out of resources, a
            // processing failure) may be.
            if (0xA900...0xA9FF).contains(status.rawValue) || status == .sopClassNotSupported {
                return .refused(reason: "\(peer.aeTitle) \(detail)")
            }
            throw SyncError(.serverError, "\(peer.aeTitle) \(detail)")
        }
        guard requestsCommitment else { return .delivered(fresh: true) }
        guard association.commitmentContext != nil else {
            logger.notice("the peer does not accept storage commitment; the instance counts as sent on C-STORE success", metadata: [
                "destination": "\(destination)", "sop_instance_uid": "\(file.sopInstanceUID)",
            ])
            return .delivered(fresh: true)
        }
        return try await commit(file, itemID: itemID, on: association)
    }

    /// N-ACTION for the one instance, then its report on this association. A peer that reports
    /// on an association of its own instead finds the transaction noted on the item.
    func commit(_ file: StoreSCU.PreparedFile, itemID: Int64?, on association: SCUAssociation) async throws -> DeliveryOutcome {
        let reference = SOPReference(sopClassUID: file.sopClassUID, sopInstanceUID: file.sopInstanceUID)
        let request = StorageCommitmentRequest(transactionUID: DICOMUID.random(), references: [reference])
        if let store, let itemID {
            do {
                try store.noteOutboxCommitmentRequested(id: itemID, transactionUID: request.transactionUID)
            } catch {
                throw SyncError(.localStorage, "the storage commitment request could not be noted: \(error)")
            }
        }
        let status = try await association.requestCommitment(request)
        guard status.isSuccess else {
            throw SyncError(.serverError, "\(peer.aeTitle) answered the storage commitment request with \(status); the instance is sent again later")
        }
        if reportsOnItsOwnAssociation.isSet {
            // Released at once: the peer reports on a new association, as PS3.4 J.3.3 has it
            // when ours is gone, and the listener settles the item then.
            return .awaitingCommitment(
                transactionUID: request.transactionUID,
                reason: "stored at \(peer.aeTitle); awaiting its storage commitment (transaction \(request.transactionUID)) on an association of its own"
            )
        }
        guard let report = try await association.awaitCommitmentReport() else {
            if let store, let itemID, (try? store.isOutboxItemSending(id: itemID)) == false {
                reportsOnItsOwnAssociation.set(true)
                logger.notice("the peer reports storage commitment on an association of its own; the box no longer waits for it on its own", metadata: [
                    "destination": "\(destination)",
                ])
            }
            return .awaitingCommitment(
                transactionUID: request.transactionUID,
                reason: "stored at \(peer.aeTitle); awaiting its storage commitment (transaction \(request.transactionUID)): no report within \(Int(settings.dimse.commitmentWaitSeconds)) s on the association"
            )
        }
        reportsOnItsOwnAssociation.set(false)
        guard report.transactionUID == request.transactionUID else {
            return .awaitingCommitment(
                transactionUID: request.transactionUID,
                reason: "stored at \(peer.aeTitle); its report named transaction \(report.transactionUID), not \(request.transactionUID)"
            )
        }
        if let failure = report.failed.first(where: { $0.reference == reference }) {
            throw SyncError(.serverError, "\(peer.aeTitle) did not commit to holding \(file.sopInstanceUID) (failure reason \(failure.reason)); it is sent again")
        }
        guard report.committed.contains(reference) else {
            throw SyncError(.protocolViolation, "\(peer.aeTitle)'s storage commitment report does not list \(file.sopInstanceUID); it is sent again")
        }
        return .committed(transactionUID: request.transactionUID)
    }

    /// An association with C-ECHO.
    public func probe() async -> Bool {
        var configuration = RequestorConfiguration(
            callingAETitle: settings.dimse.callingAETitle, calledAETitle: peer.aeTitle,
            presentationContexts: [ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])],
            connectTimeout: .seconds(2), associationTimeout: .seconds(5), responseTimeout: .seconds(5)
        )
        configuration.maximumPDULength = 16_384
        let status = try? await SCUAssociation.withAssociation(host: peer.host, port: peer.port, configuration: configuration, logger: logger) { try await $0.echo() }
        return status?.isSuccess == true
    }

    public func shutdown() async {}
}
