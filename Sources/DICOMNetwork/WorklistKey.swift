import DICOM

/// The Modality Worklist keys the box matches and returns (PS3.4 K.6.1.2.2): those of the item
/// and those of its Scheduled Procedure Step Sequence item, with their VRs.
public enum WorklistKey {
    public static let scheduledProcedureStepSequence = Tag(0x0040, 0x0100)
    public static let scheduledStationAETitle = Tag(0x0040, 0x0001)
    public static let scheduledProcedureStepStartDate = Tag(0x0040, 0x0002)
    public static let scheduledProcedureStepStartTime = Tag(0x0040, 0x0003)
    public static let scheduledPerformingPhysicianName = Tag(0x0040, 0x0006)
    public static let scheduledProcedureStepDescription = Tag(0x0040, 0x0007)
    public static let scheduledProcedureStepID = Tag(0x0040, 0x0009)
    public static let scheduledStationName = Tag(0x0040, 0x0010)
    public static let scheduledProcedureStepStatus = Tag(0x0040, 0x0020)
    public static let requestedProcedureID = Tag(0x0040, 0x1001)
    public static let requestedProcedureDescription = Tag(0x0032, 0x1060)

    /// Keys of the worklist item itself.
    public static let item: [Tag: ValueRepresentation] = [
        .accessionNumber: .SH, .referringPhysicianName: .PN, .patientName: .PN, .patientID: .LO,
        .patientBirthDate: .DA, .patientSex: .CS, .studyInstanceUID: .UI,
        requestedProcedureID: .SH, requestedProcedureDescription: .LO,
    ]

    /// Keys of the Scheduled Procedure Step Sequence's item.
    public static let step: [Tag: ValueRepresentation] = [
        scheduledStationAETitle: .AE, scheduledProcedureStepStartDate: .DA, scheduledProcedureStepStartTime: .TM,
        .modality: .CS, scheduledPerformingPhysicianName: .PN, scheduledProcedureStepDescription: .LO,
        scheduledProcedureStepID: .SH, scheduledStationName: .SH, scheduledProcedureStepStatus: .CS,
    ]
}
