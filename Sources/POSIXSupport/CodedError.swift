/// The house's public error: a code a program can act on and the detail of this occurrence,
/// which a person reads. Each module's code is a struct over a private enum whose raw values say
/// what went wrong in words (`PanelErrorCode`, `SyncErrorCode`, …); the module names its error
/// `typealias XError = CodedError<XErrorCode>` and adds what its callers ask of it (an HTTP
/// status, whether a retry can help) in an extension.
public struct CodedError<Code: Hashable & Sendable & CustomStringConvertible>: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
