/// Why ``BasicProfile`` cannot make a de-identified copy of an instance; the description is
/// the sentence a technician reads.
public struct DeidentificationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
