extension SRContentItem {
    /// Reads the content tree rooted at `dataSet` (a document's data set or a Content Sequence
    /// item), for the value types ``Value`` knows; another value type is an error, as is an
    /// item that lacks what its value type requires.
    public init(reading dataSet: DataSet) throws(DICOMAttributeError) {
        guard let valueType = dataSet.string(.valueType) else {
            throw DICOMAttributeError(tag: .valueType, problem: "is missing")
        }
        let relationship: Relationship?
        if let text = dataSet.string(.relationshipType) {
            guard let known = Relationship(rawValue: text) else {
                throw DICOMAttributeError(tag: .relationshipType, problem: "holds \"\(DICOMUID.printable(text))\"")
            }
            relationship = known
        } else {
            relationship = nil
        }
        let name = try dataSet.sequence(.conceptNameCodeSequence).map { items throws(DICOMAttributeError) in
            guard items.count == 1, let code = CodedConcept(item: items[0]) else {
                throw DICOMAttributeError(tag: .conceptNameCodeSequence, problem: "does not hold one complete code")
            }
            return code
        }
        func required(_ tag: Tag) throws(DICOMAttributeError) -> String {
            guard let text = dataSet.string(tag) else { throw DICOMAttributeError(tag: tag, problem: "is missing in a \(valueType) item") }
            return text
        }
        func code(in tag: Tag, of items: DataSet) throws(DICOMAttributeError) -> CodedConcept {
            guard let codes = items.sequence(tag), codes.count == 1, let code = CodedConcept(item: codes[0]) else {
                throw DICOMAttributeError(tag: tag, problem: "does not hold one complete code in a \(valueType) item")
            }
            return code
        }
        let value: Value
        switch valueType {
        case "CONTAINER":
            value = .container(template: dataSet.sequence(.contentTemplateSequence)?.first?.string(.templateIdentifier))
        case "TEXT":
            value = .text(try required(.textValue))
        case "CODE":
            value = .code(try code(in: .conceptCodeSequence, of: dataSet))
        case "UIDREF":
            value = .uidReference(try required(.uidValue))
        case "NUM":
            guard let measured = dataSet.sequence(.measuredValueSequence)?.first else {
                throw DICOMAttributeError(tag: .measuredValueSequence, problem: "is missing in a NUM item")
            }
            guard let decimal = measured.string(.numericValue) else {
                throw DICOMAttributeError(tag: .numericValue, problem: "is missing in a NUM item")
            }
            value = .number(decimal, units: try code(in: .measurementUnitsCodeSequence, of: measured))
        case "IMAGE":
            guard let reference = dataSet.sequence(.referencedSOPSequence)?.first,
                  let sopClass = reference.string(.referencedSOPClassUID), let sopInstance = reference.string(.referencedSOPInstanceUID) else {
                throw DICOMAttributeError(tag: .referencedSOPSequence, problem: "does not name an instance in an IMAGE item")
            }
            value = .image(sopClassUID: sopClass, sopInstanceUID: sopInstance)
        case "SCOORD":
            let points = try dataSet.numbers(.graphicData) ?? []
            value = .spatialCoordinates(graphicType: try required(.graphicType), points: points.map { Float($0) })
        default:
            throw DICOMAttributeError(tag: .valueType, problem: "holds \(DICOMUID.printable(valueType)), a value type this reader does not know")
        }
        var children: [SRContentItem] = []
        for item in dataSet.sequence(.contentSequence) ?? [] {
            children.append(try SRContentItem(reading: item))
        }
        self.init(relationship, name, value, children: children)
    }
}
