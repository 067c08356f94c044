import DICOM

/// A Modality Worklist C-FIND identifier: the supported keys it carries with their query values
/// ("" for universal matching), for the item and for its Scheduled Procedure Step.
public struct WorklistRequest: Sendable, Hashable {
    public var keys: [Tag: String]
    /// Nil when the identifier has no Scheduled Procedure Step Sequence; a sequence without
    /// items asks for every step key (universal matching of the sequence).
    public var stepKeys: [Tag: String]?

    public init(keys: [Tag: String], stepKeys: [Tag: String]?) {
        self.keys = keys
        self.stepKeys = stepKeys
    }

    public init(identifier: DataSet) {
        func keys(of dataSet: DataSet, in supported: [Tag: ValueRepresentation]) -> [Tag: String] {
            var keys: [Tag: String] = [:]
            for element in dataSet.elements where supported[element.tag] != nil {
                keys[element.tag] = (dataSet.strings(element.tag) ?? []).joined(separator: "\\")
            }
            return keys
        }
        var stepKeys: [Tag: String]?
        if identifier.contains(WorklistKey.scheduledProcedureStepSequence) {
            if let step = identifier.sequence(WorklistKey.scheduledProcedureStepSequence)?.first {
                stepKeys = keys(of: step, in: WorklistKey.step)
            } else {
                stepKeys = WorklistKey.step.mapValues { _ in "" }
            }
        }
        self.init(keys: keys(of: identifier, in: WorklistKey.item), stepKeys: stepKeys)
    }
}
