/// Why a font file cannot draw text: what went wrong, with the file and what FreeType said,
/// so a technician knows which file to replace or which package to install.
public struct FontError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case unreadable = "the font file cannot be read"
            case notAFont = "the file is not a font FreeType knows"
            case damaged = "the font file is damaged or truncated"
            case missingGlyphs = "the font has no glyphs for some characters"
            case invalidSize = "the text size is out of range"
            case library = "FreeType failed"
        }

        fileprivate let value: Value

        /// Missing, unreadable (permissions) or a folder.
        public static let unreadable = Code(value: .unreadable)
        /// FreeType recognised no font format in the bytes.
        public static let notAFont = Code(value: .notAFont)
        /// A known format whose tables or glyphs cannot be read (a truncated or corrupt file).
        public static let damaged = Code(value: .damaged)
        /// The font lacks characters the text needs (a Latin-only font for a Russian legend).
        public static let missingGlyphs = Code(value: .missingGlyphs)
        public static let invalidSize = Code(value: .invalidSize)
        /// Out of memory, or an error FreeType gives for no fault of the file.
        public static let library = Code(value: .library)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// The font file.
    public let path: String
    public let detail: String?

    public init(_ code: Code, path: String, detail: String? = nil) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        "\(code) (\(path))" + (detail.map { ": \($0)" } ?? "")
    }
}
