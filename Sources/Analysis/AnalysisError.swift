/// Why an image could not be analysed, in words for the technician's log and the report.
public struct AnalysisError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case unreadableImage
        case unsupportedModel
        case inference
        case output
    }

    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public var isUnreadableImage: Bool { code == .unreadableImage }

    static func unreadableImage(_ reason: String) -> AnalysisError { AnalysisError(.unreadableImage, "cannot read the image: \(reason)") }
    static func unsupportedModel(_ reason: String) -> AnalysisError { AnalysisError(.unsupportedModel, "the model package cannot be used: \(reason)") }
    static func inference(_ reason: String) -> AnalysisError { AnalysisError(.inference, "the model failed: \(reason)") }
    static func output(_ reason: String) -> AnalysisError { AnalysisError(.output, "cannot write the result: \(reason)") }
}
