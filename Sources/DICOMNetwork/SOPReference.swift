/// One SOP instance named by its class and instance UIDs, as the Referenced SOP Sequence items
/// of storage commitment carry it.
public struct SOPReference: Sendable, Hashable, Codable {
    public var sopClassUID: String
    public var sopInstanceUID: String

    public init(sopClassUID: String, sopInstanceUID: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
    }
}
