import Foundation
import Hummingbird
import HummingbirdTesting

/// A browser's cookie jar over Hummingbird's test client, for the panel's and the console's tests.
public struct Browser {
    public let client: any TestClientProtocol
    public var cookies: [String: String] = [:]
    public var acceptLanguage: String?

    public init(_ client: any TestClientProtocol, acceptLanguage: String? = nil) {
        self.client = client
        self.acceptLanguage = acceptLanguage
    }

    public mutating func request(_ method: HTTPRequest.Method, _ uri: String, form: [String: String]? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if let acceptLanguage { headers[.acceptLanguage] = acceptLanguage }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            body = ByteBuffer(string: form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for line in response.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]), value = String(pair[1])
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    public mutating func get(_ uri: String) async throws -> TestResponse { try await request(.get, uri) }

    public mutating func post(_ uri: String, _ form: [String: String]) async throws -> TestResponse { try await request(.post, uri, form: form) }

    /// The value of a hidden form field on a page.
    public static func hiddenField(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
