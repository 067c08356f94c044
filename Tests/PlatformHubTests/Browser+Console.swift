import BrowserTesting
import HummingbirdTesting
import Testing

/// The console's logins and forms over the shared test browser.
extension Browser {
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
}
