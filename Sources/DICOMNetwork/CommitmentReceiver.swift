/// Where storage commitment requests go: the listener hands each N-ACTION here and asks what to
/// report. Implemented above this room (by the store), so DICOMNetwork never learns what
/// "durable" means, only the answer.
public protocol CommitmentReceiver: Sendable {
    /// Records the request durably, before the N-ACTION is answered success: from then on it will
    /// be reported, on this association or a later one, across restarts. Throwing answers the
    /// N-ACTION with a processing failure.
    func accept(_ request: StorageCommitmentRequest, callingAETitle: String) async throws

    /// Which of the request's instances the box holds durably now, and why the others fail.
    func report(for request: StorageCommitmentRequest) async -> StorageCommitmentReport

    /// The modality acknowledged the report with success: nothing is left to send.
    func reported(transactionUID: String, eventTypeID: UInt16) async

    /// The association ended (or the modality answered a failure) before the report was
    /// acknowledged: it must go on a new association to the modality's configured address.
    func deliverLater(transactionUID: String, reason: String) async
}
