/// Where storage commitment reports the box asked for come in on an association the reporting
/// peer opened (PS3.4 J.3.3.1.3: the SCU accepts an association on which the commitment SCP
/// proposes the SCP role). Implemented above this room (by the outbox), so DICOMNetwork never
/// learns what "sent" means, only whether the report was recorded.
public protocol CommitmentReportReceiver: Sendable {
    /// Records the report durably before it is acknowledged: the N-EVENT-REPORT is answered
    /// success only when this returns ``CommitmentReportOutcome/recorded``. Throwing answers it
    /// with a processing failure and the error as comment, so the peer reports again.
    func received(_ report: StorageCommitmentReport, from callingAETitle: String) async throws -> CommitmentReportOutcome
}

public enum CommitmentReportOutcome: Sendable, Hashable {
    /// Written: the items the report names are settled.
    case recorded
    /// No item of this peer waits on the transaction (settled already, superseded by a re-send,
    /// or never requested by this box).
    case unknownTransaction
}
