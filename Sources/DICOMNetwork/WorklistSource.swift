/// What the Modality Worklist SCP answers from: implemented above this room (by the store's
/// registrations), so DICOMNetwork matches and sends, and never learns where items come from.
public protocol WorklistSource: Sendable {
    /// The items scheduled now; the listener applies the query's matching to them.
    func scheduledItems() async throws -> [WorklistItem]
}
