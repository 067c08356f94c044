import DICOM

extension WorklistRequest {
    /// The items that match every key of the item and of its scheduled step, in the source's order.
    public func matches(in items: [WorklistItem]) -> [WorklistItem] {
        items.filter { item in
            keys.allSatisfy { QueryValueMatcher.matches($0.value, item.attributes[$0.key], vr: WorklistKey.item[$0.key]!) }
                && (stepKeys ?? [:]).allSatisfy {
                    QueryValueMatcher.matches($0.value, item.scheduledProcedureStep[$0.key], vr: WorklistKey.step[$0.key]!)
                }
        }
    }

    /// A C-FIND response identifier: the keys asked for with this item's values (empty when it
    /// has none), the step's inside one sequence item, with Specific Character Set when a value
    /// is not ASCII.
    func responseIdentifier(for item: WorklistItem, transferSyntax: TransferSyntax) -> [UInt8] {
        let encoder = DataElementEncoder(explicit: transferSyntax.isExplicitVR, bigEndian: false)
        func encoded(_ keys: [Tag: String], _ values: [Tag: String], _ vrs: [Tag: ValueRepresentation]) -> [Tag: [UInt8]] {
            Dictionary(uniqueKeysWithValues: keys.keys.map { ($0, encoder.encode($0, vrs[$0]!, text: values[$0] ?? "")) })
        }
        var elements = encoded(keys, item.attributes, WorklistKey.item)
        var asked = keys.keys.map { item.attributes[$0] ?? "" }
        if let stepKeys {
            let step = encoded(stepKeys, item.scheduledProcedureStep, WorklistKey.step)
            let body = step.keys.sorted().flatMap { step[$0]! }
            // One item of defined length: (FFFE,E000) and its length, little endian.
            let itemBytes = [0xFE, 0xFF, 0x00, 0xE0] + (0..<4).map { UInt8(truncatingIfNeeded: UInt32(body.count) >> (8 * $0)) } + body
            elements[WorklistKey.scheduledProcedureStepSequence] = encoder.encode(WorklistKey.scheduledProcedureStepSequence, .SQ, value: itemBytes)
            asked += stepKeys.keys.map { item.scheduledProcedureStep[$0] ?? "" }
        }
        if asked.contains(where: { $0.utf8.contains { $0 >= 0x80 } }) {
            elements[.specificCharacterSet] = encoder.encode(.specificCharacterSet, .CS, text: "ISO_IR 192")
        }
        return elements.keys.sorted().flatMap { elements[$0]! }
    }
}
