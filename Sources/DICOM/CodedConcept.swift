/// A coded concept as DICOM writes one (PS3.3 section 8.8): code value, coding scheme
/// designator and code meaning, e.g. (126000, DCM, "Imaging Measurement Report").
public struct CodedConcept: Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value
        self.scheme = scheme
        self.meaning = meaning
    }

    /// Code Value holds at most 16 characters (SH); a longer value goes to Long Code Value (UC).
    static let shortValueLimit = 16

    /// The concept as one item of a code sequence.
    public var item: Part10Writer {
        var item = Part10Writer()
        if value.utf8.count <= Self.shortValueLimit {
            item.set(.codeValue, .SH, value)
        } else {
            item.set(.longCodeValue, .UC, value)
        }
        item.set(.codingSchemeDesignator, .SH, scheme)
        item.set(.codeMeaning, .LO, meaning)
        return item
    }

    /// Reads one code sequence item; nil when it lacks a value, a designator or a meaning.
    public init?(item: DataSet) {
        guard let value = item.string(.codeValue) ?? item.string(.longCodeValue),
              let scheme = item.string(.codingSchemeDesignator), let meaning = item.string(.codeMeaning) else { return nil }
        self.init(value, scheme, meaning)
    }

    public var description: String { "(\(value), \(scheme), \"\(meaning)\")" }
}
