extension SRContentItem {
    /// Writes this item's attributes into `writer`: the document's data set for the root,
    /// a Content Sequence item for the others. Containers are written SEPARATE (each child
    /// stands on its own; none continues another's sentence).
    public func write(into writer: inout Part10Writer) {
        if let relationship { writer.set(.relationshipType, .CS, relationship.rawValue) }
        writer.set(.valueType, .CS, value.valueType)
        if let name { writer.set(.conceptNameCodeSequence, items: [name.item]) }
        switch value {
        case .container(let template):
            writer.set(.continuityOfContent, .CS, "SEPARATE")
            if let template {
                var identification = Part10Writer()
                identification.set(.mappingResource, .CS, "DCMR")
                identification.set(.templateIdentifier, .CS, template)
                writer.set(.contentTemplateSequence, items: [identification])
            }
        case .text(let text):
            writer.set(.textValue, .UT, text)
        case .code(let code):
            writer.set(.conceptCodeSequence, items: [code.item])
        case .uidReference(let uid):
            writer.set(.uidValue, .UI, uid)
        case .number(let decimal, let units):
            var measured = Part10Writer()
            measured.set(.measurementUnitsCodeSequence, items: [units.item])
            measured.set(.numericValue, .DS, decimal)
            writer.set(.measuredValueSequence, items: [measured])
        case .image(let sopClassUID, let sopInstanceUID):
            var reference = Part10Writer()
            reference.set(.referencedSOPClassUID, .UI, sopClassUID)
            reference.set(.referencedSOPInstanceUID, .UI, sopInstanceUID)
            writer.set(.referencedSOPSequence, items: [reference])
        case .spatialCoordinates(let graphicType, let points):
            writer.set(.graphicType, .CS, graphicType)
            writer.set(.graphicData, .FL, bytes: points.flatMap { point in
                (0..<4).map { UInt8(truncatingIfNeeded: point.bitPattern >> (8 * $0)) }
            })
        }
        if !children.isEmpty {
            writer.set(.contentSequence, items: children.map { child in
                var item = Part10Writer()
                child.write(into: &item)
                return item
            })
        }
    }
}
