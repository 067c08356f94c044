import DICOM
import NIOCore

/// Storage Commitment Push Model as its SCU (PS3.4 J.3): the box asks a receiver it sent
/// instances to whether it holds them, and takes the receiver's report on the same association.
/// A report the receiver sends later, on an association of its own, is not seen here.
extension SCUAssociation {
    /// The accepted Storage Commitment Push Model context, if the peer took one.
    public var commitmentContext: AcceptedContext? {
        acceptedContexts.values.sorted { $0.id < $1.id }.first { $0.abstractSyntax == SOPClass.storageCommitmentPushModel }
    }

    /// N-ACTION "Request Storage Commitment"; returns the N-ACTION-RSP status.
    public func requestCommitment(_ request: StorageCommitmentRequest) async throws -> DIMSEStatus {
        guard let context = commitmentContext else {
            throw DICOMNetworkError(.noAcceptedContext, "the peer did not accept the Storage Commitment Push Model")
        }
        let command = DIMSECommand.actionRequest(
            messageID: takeMessageID(), sopClassUID: SOPClass.storageCommitmentPushModel,
            sopInstanceUID: SOPClass.storageCommitmentPushModelInstance, actionTypeID: StorageCommitmentRequest.actionTypeID
        )
        try await sender.send(command, contextID: context.id)
        try await sender.send(ByteBuffer(bytes: request.encoded(transferSyntax: context.transferSyntax)), contextID: context.id, isCommand: false)
        return try await response(to: command).status ?? .processingFailure
    }

    /// Waits for the peer's N-EVENT-REPORT on this association, answers it with success and
    /// returns it. Nil when the association ended first: the peer released or aborted it, or it
    /// stayed silent past the association's idle limit (``RequestorConfiguration/responseTimeout``).
    public func awaitCommitmentReport() async throws -> StorageCommitmentReport? {
        var commandBytes = ByteBuffer()
        var command: DIMSECommand?
        var dataSet = ByteBuffer()
        while true {
            let pdu: PDU?
            do {
                pdu = try await nextPDU()
            } catch {
                return nil
            }
            switch pdu {
            case .data(let values):
                for value in values {
                    var fragment = value.data
                    if value.isCommand {
                        guard commandBytes.readableBytes + fragment.readableBytes <= DIMSECommand.maximumLength else {
                            throw DICOMNetworkError(.malformedCommand, "command set longer than \(DIMSECommand.maximumLength) bytes")
                        }
                        commandBytes.writeBuffer(&fragment)
                        guard value.isLastFragment else { continue }
                        let received = try DIMSECommand(decoding: commandBytes)
                        commandBytes.clear()
                        guard received.kind == .eventReportRequest, received.hasDataSet else {
                            state = .aborted
                            try? await sender.send(.abort(AbortPDU(source: .serviceUser, reason: .unexpectedPDU)))
                            throw DICOMNetworkError(.unexpectedPDU, "\(received.kind.map { "\($0)" } ?? "command \(received.commandField)") while waiting for a storage commitment report")
                        }
                        command = received
                    } else {
                        guard let request = command else {
                            throw DICOMNetworkError(.unexpectedPDU, "a data set fragment before its command")
                        }
                        guard dataSet.readableBytes + fragment.readableBytes <= SCPAssociation.maximumCommitmentBytes else {
                            throw DICOMNetworkError(.malformedCommand, "storage commitment report over \(SCPAssociation.maximumCommitmentBytes) bytes")
                        }
                        dataSet.writeBuffer(&fragment)
                        guard value.isLastFragment else { continue }
                        let syntax = acceptedContexts[value.contextID]?.transferSyntax ?? .implicitVRLittleEndian
                        let report: StorageCommitmentReport
                        do {
                            report = try StorageCommitmentReport(dataSet: DataSet(dataSetBytes: Array(dataSet.readableBytesView), transferSyntax: syntax))
                        } catch {
                            try await sender.send(request.response(status: .processingFailure, comment: "unreadable report"), contextID: value.contextID)
                            throw DICOMNetworkError(.malformedCommand, "unreadable storage commitment report: \(error)")
                        }
                        try await sender.send(request.response(status: .success), contextID: value.contextID)
                        return report
                    }
                }
            case .releaseRequest:
                try await sender.send(.releaseResponse)
                state = .released
                return nil
            case .abort, nil:
                state = .aborted
                return nil
            case let other?:
                state = .aborted
                try? await sender.send(.abort(AbortPDU(source: .serviceUser, reason: .unexpectedPDU)))
                throw DICOMNetworkError(.unexpectedPDU, "\(other.kind) while waiting for a storage commitment report")
            }
        }
    }
}
