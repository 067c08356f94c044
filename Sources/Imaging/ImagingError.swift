/// Why an image file could not be read.
public struct ImagingError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case notPNG = "not a PNG file"
            case damagedPNG = "PNG file is damaged"
            case truncatedPNG = "PNG file is truncated"
            case notJPEG = "not a JPEG file"
            case damagedJPEG = "JPEG file is damaged"
            case truncatedJPEG = "JPEG file is truncated or has corrupt data"
            case unsupported = "image kind is not supported"
        }

        fileprivate let value: Value

        public static let notPNG = Code(value: .notPNG)
        public static let damagedPNG = Code(value: .damagedPNG)
        public static let truncatedPNG = Code(value: .truncatedPNG)
        public static let notJPEG = Code(value: .notJPEG)
        public static let damagedJPEG = Code(value: .damagedJPEG)
        public static let truncatedJPEG = Code(value: .truncatedJPEG)
        public static let unsupported = Code(value: .unsupported)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String?

    public init(_ code: Code, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    public var description: String {
        detail.map { "\(code): \($0)" } ?? code.description
    }
}
