import DICOM

/// One modality worklist item as the SCP answers it: the item's attributes and its one
/// Scheduled Procedure Step, by tag (values as DICOM text; keys of ``WorklistKey``).
public struct WorklistItem: Sendable, Hashable {
    public var attributes: [Tag: String]
    public var scheduledProcedureStep: [Tag: String]

    public init(attributes: [Tag: String], scheduledProcedureStep: [Tag: String]) {
        self.attributes = attributes
        self.scheduledProcedureStep = scheduledProcedureStep
    }
}
