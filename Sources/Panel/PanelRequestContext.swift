import BrowserAccess
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
