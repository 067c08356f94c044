import BrowserAccess
import Hummingbird

/// Per console request: the operator (read from the store on every request), the session, the
/// language, the parsed form of a POST, and the client's address (the TCP peer).
public struct ConsoleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var session: BrowserSession<String>?
    public var account: ConsoleOperator?
    public var language: InterfaceLanguage = .en
    public var form: [String: String] = [:]
    public let clientAddress: ClientAddress

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = ClientAddress(peer: source.channel.remoteAddress)
    }

    public var maxUploadSize: Int { 64 * 1024 }
}
