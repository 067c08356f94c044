import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A browser's cookie jar over Hummingbird's test client, for the console's router.
struct ConsoleBrowser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var acceptLanguage: String?

    init(_ client: any TestClientProtocol, acceptLanguage: String? = nil) {
        self.client = client
        self.acceptLanguage = acceptLanguage
    }

    mutating func request(_ method: HTTPRequest.Method, _ uri: String, form: [String: String]? = nil) async throws -> TestResponse {
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

    mutating func get(_ uri: String) async throws -> TestResponse { try await request(.get, uri) }

    mutating func post(_ uri: String, _ form: [String: String]) async throws -> TestResponse { try await request(.post, uri, form: form) }

    /// Loads the login page (for its CSRF token) and logs in.
    mutating func logIn(_ name: String, password: String) async throws -> TestResponse {
        let page = try await get("/login")
        let token = try #require(Self.hiddenField("csrf", in: String(buffer: page.body)))
        return try await post("/login", ["csrf": token, "name": name, "password": password, "next": "/devices"])
    }

    /// The session's CSRF token, read off a page.
    mutating func csrfToken() async throws -> String {
        try #require(Self.hiddenField("csrf", in: String(buffer: try await get("/devices").body)))
    }

    /// Posts a form with the session's CSRF token.
    mutating func submit(_ uri: String, _ form: [String: String]) async throws -> TestResponse {
        var form = form
        form["csrf"] = try await csrfToken()
        return try await post(uri, form)
    }

    static func hiddenField(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
