import DICOM
import Logging
import NIOCore

/// Sends a storage commitment report on an association the box opens to the modality, when the
/// modality's own association ended before the report was acknowledged (PS3.4 J.3.3).
///
/// The box requests the association but is the SOP class's SCP, so it proposes SCP/SCU role
/// selection (PS3.7 D.3.3.4) with the SCP role for itself and the SCU role not; the modality
/// must accept that role or the report cannot be sent.
public struct CommitmentReportSCU: Sendable {
    public var configuration: RequestorConfiguration
    public var logger: Logger

    public init(callingAETitle: String, calledAETitle: String, logger: Logger) {
        var configuration = RequestorConfiguration(
            callingAETitle: callingAETitle, calledAETitle: calledAETitle,
            presentationContexts: [ProposedPresentationContext(
                id: 1, abstractSyntax: SOPClass.storageCommitmentPushModel,
                transferSyntaxes: CommitmentDataSetWriter.transferSyntaxes.map(\.uid)
            )],
            responseTimeout: .seconds(60)
        )
        configuration.roleSelections = [RoleSelection(abstractSyntax: SOPClass.storageCommitmentPushModel, scuRole: false, scpRole: true)]
        self.configuration = configuration
        self.logger = logger
    }

    /// Sends `report` and returns the modality's N-EVENT-REPORT-RSP status.
    public func send(_ report: StorageCommitmentReport, host: String, port: Int) async throws -> DIMSEStatus {
        try await SCUAssociation.withAssociation(host: host, port: port, configuration: configuration, logger: logger) { association in
            guard let context = association.acceptedContexts.values.first(where: { $0.abstractSyntax == SOPClass.storageCommitmentPushModel }) else {
                throw DICOMNetworkError(.noAcceptedContext, "\(configuration.calledAETitle) at \(host):\(port) did not accept the Storage Commitment Push Model")
            }
            let roles = association.accept.userInformation.roleSelections.first { $0.abstractSyntax == SOPClass.storageCommitmentPushModel }
            guard roles?.scpRole == true else {
                throw DICOMNetworkError(.noAcceptedContext, "\(configuration.calledAETitle) at \(host):\(port) did not accept the box as storage commitment SCP on its association (role selection)")
            }
            let response = try await association.eventReport(
                dataSet: ByteBuffer(bytes: report.encoded(transferSyntax: context.transferSyntax)),
                sopClassUID: SOPClass.storageCommitmentPushModel, sopInstanceUID: SOPClass.storageCommitmentPushModelInstance,
                eventTypeID: report.eventTypeID, contextID: context.id
            )
            // The modality has answered: the report is delivered whatever becomes of the release
            // (a modality that closes at once must not be sent the same report again).
            do {
                try await association.release()
            } catch {
                try? await association.abort()
                logger.debug("the modality answered the report but not the release", metadata: ["peer": "\(host):\(port)", "error": "\(error)"])
            }
            return response.status ?? .processingFailure
        }
    }
}
