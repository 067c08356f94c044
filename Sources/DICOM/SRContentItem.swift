/// One content item of a DICOM Structured Report's content tree (PS3.3 C.17.3): its
/// relationship to its parent, concept name, value and children. The root item is the
/// document's own data set; every other item is an item of its parent's Content Sequence.
public struct SRContentItem: Sendable {
    /// Relationship Type (0040,A010) of an item to its parent (PS3.3 C.17.3.2.4).
    public enum Relationship: String, Sendable, Hashable {
        case contains = "CONTAINS"
        case hasObservationContext = "HAS OBS CONTEXT"
        case hasConceptModifier = "HAS CONCEPT MOD"
        case hasProperties = "HAS PROPERTIES"
        case hasAcquisitionContext = "HAS ACQ CONTEXT"
        case inferredFrom = "INFERRED FROM"
        case selectedFrom = "SELECTED FROM"
    }

    /// The value types the box writes (PS3.3 table C.17.3-7).
    public enum Value: Sendable, Hashable {
        /// `template` is the DCMR template identifier the container follows, e.g. "1500".
        case container(template: String?)
        case text(String)
        case code(CodedConcept)
        case uidReference(String)
        /// A decimal string (at most 16 characters) in `units`.
        case number(String, units: CodedConcept)
        case image(sopClassUID: String, sopInstanceUID: String)
        /// Image coordinates (column, row pairs) of a 2D graphic, e.g. POINT.
        case spatialCoordinates(graphicType: String, points: [Float])

        public var valueType: String {
            switch self {
            case .container: "CONTAINER"
            case .text: "TEXT"
            case .code: "CODE"
            case .uidReference: "UIDREF"
            case .number: "NUM"
            case .image: "IMAGE"
            case .spatialCoordinates: "SCOORD"
            }
        }
    }

    /// Nil for the root.
    public var relationship: Relationship?
    /// Nil only where the template leaves it out (an IMAGE selected from by a SCOORD).
    public var name: CodedConcept?
    public var value: Value
    public var children: [SRContentItem]

    public init(_ relationship: Relationship?, _ name: CodedConcept?, _ value: Value, children: [SRContentItem] = []) {
        self.relationship = relationship
        self.name = name
        self.value = value
        self.children = children
    }

    /// Every item below this one, depth first.
    public var descendants: [SRContentItem] {
        children.flatMap { [$0] + $0.descendants }
    }
}
