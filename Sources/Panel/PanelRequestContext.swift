import Foundation
import Hummingbird

/// Per request: the session (if logged in), the language, the parsed form of a POST, and the
/// client's address (the TCP peer).
public struct PanelRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var session: PanelSession?
    public var language: PanelLanguage = .en
    public var form: [String: String] = [:]
    public let clientAddress: ClientAddress
    /// Active demonstration model packages (``PanelHooks/demonstrationModels``), for the banner;
    /// asked only for requests that may answer with a page.
    public var demonstrationModels: [String] = []

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = ClientAddress(peer: source.channel.remoteAddress)
    }

    public var maxUploadSize: Int { 64 * 1024 }
}

/// application/x-www-form-urlencoded and query strings.
enum FormDecoding {
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func clean(_ value: Substring) -> String {
                String(value).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(value)
            }
            guard let name = parts.first else { continue }
            fields[clean(name)] = parts.count > 1 ? clean(parts[1]) : ""
        }
        return fields
    }
}
