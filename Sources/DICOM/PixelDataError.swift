/// Why the pixel data of a data set cannot be turned into an image, with what a person needs
/// to act on it (which attribute, which limit, what the codec said).
public struct PixelDataError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case noPixelData = "the data set has no pixel data"
            case badImageAttribute = "an image pixel attribute is missing or invalid"
            case unsupportedPixelFormat = "this pixel format is not a grayscale radiograph the box reads"
            case imageTooLarge = "the image is larger than the box accepts"
            case pixelDataTooShort = "pixel data is shorter than the image attributes require"
            case unsupportedTransferSyntax = "the transfer syntax's pixel data cannot be decoded here"
            case unsupportedCompression = "this compressed form cannot be decoded here"
            case damagedCompressedData = "compressed pixel data is damaged"
            case frameOutOfRange = "no such frame"
            case badLUT = "a lookup table is damaged"
            case notRepresentable = "values cannot be written in the requested form"
        }

        fileprivate let value: Value

        public static let noPixelData = Code(value: .noPixelData)
        public static let badImageAttribute = Code(value: .badImageAttribute)
        public static let unsupportedPixelFormat = Code(value: .unsupportedPixelFormat)
        public static let imageTooLarge = Code(value: .imageTooLarge)
        public static let pixelDataTooShort = Code(value: .pixelDataTooShort)
        public static let unsupportedTransferSyntax = Code(value: .unsupportedTransferSyntax)
        public static let unsupportedCompression = Code(value: .unsupportedCompression)
        public static let damagedCompressedData = Code(value: .damagedCompressedData)
        public static let frameOutOfRange = Code(value: .frameOutOfRange)
        public static let badLUT = Code(value: .badLUT)
        public static let notRepresentable = Code(value: .notRepresentable)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String?

    public init(_ code: Code, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    init(attribute error: DICOMAttributeError) {
        self.init(.badImageAttribute, detail: error.description)
    }

    public var description: String {
        detail.map { "\(code): \($0)" } ?? code.description
    }
}
