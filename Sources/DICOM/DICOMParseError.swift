/// Why a DICOM file or data set could not be read, and where.
///
/// Hostile or damaged input ends here, never in a crash: every length is checked against the
/// bytes that are left, and depth and element counts are bounded.
public struct DICOMParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case notPart10 = "not a DICOM Part 10 file"
            case truncated = "data ends early"
            case badFileMeta = "file meta information is damaged"
            case missingTransferSyntax = "file meta information names no transfer syntax"
            case valueLengthExceedsData = "value length runs past the end of the data"
            case undefinedLengthNotAllowed = "undefined length on an element that cannot have one"
            case badDelimiter = "sequence or item delimiter is damaged"
            case sequenceTooDeep = "sequences nested too deeply"
            case tooManyElements = "too many data elements"
            case missingAttribute = "a required attribute is missing"
            case invalidUID = "a UID is not valid"
            case unsupportedTransferSyntax = "transfer syntax cannot be read here"
            case unknownFormat = "neither a DICOM Part 10 file nor an ACR-NEMA data set"
            case damagedDeflate = "deflated data set cannot be inflated"
            case inflatedTooLarge = "deflated data set inflates past the size limit"
        }

        fileprivate let value: Value

        public static let notPart10 = Code(value: .notPart10)
        public static let truncated = Code(value: .truncated)
        public static let badFileMeta = Code(value: .badFileMeta)
        public static let missingTransferSyntax = Code(value: .missingTransferSyntax)
        public static let valueLengthExceedsData = Code(value: .valueLengthExceedsData)
        public static let undefinedLengthNotAllowed = Code(value: .undefinedLengthNotAllowed)
        public static let badDelimiter = Code(value: .badDelimiter)
        public static let sequenceTooDeep = Code(value: .sequenceTooDeep)
        public static let tooManyElements = Code(value: .tooManyElements)
        public static let missingAttribute = Code(value: .missingAttribute)
        public static let invalidUID = Code(value: .invalidUID)
        public static let unsupportedTransferSyntax = Code(value: .unsupportedTransferSyntax)
        public static let unknownFormat = Code(value: .unknownFormat)
        public static let damagedDeflate = Code(value: .damagedDeflate)
        public static let inflatedTooLarge = Code(value: .inflatedTooLarge)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// Byte offset in the file where the problem was found.
    public let offset: Int
    /// The element being read, when there was one.
    public let tag: Tag?
    /// Specifics, such as the lengths involved.
    public let detail: String?

    public init(_ code: Code, offset: Int, tag: Tag? = nil, detail: String? = nil) {
        self.code = code
        self.offset = offset
        self.tag = tag
        self.detail = detail
    }

    public var description: String {
        var text = code.description
        if let tag { text += " at \(tag)" }
        text += " (byte \(offset))"
        if let detail { text += ": \(detail)" }
        return text
    }
}
