import BrowserTesting
import Foundation
import POSIXSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request on its own TCP connection from a chosen loopback source address
/// (Linux routes all of 127/8 to lo), so a test can be several clients to the panel. Blocking
/// socket calls run on threads of their own, never on the pooled threads the panel answers on.
struct RawHTTPClient: Sendable {
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    let port: Int
    /// 127.x.y.z, the client's address as the panel sees it.
    let source: String

    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "") async throws -> Answer {
        let (port, source) = (port, source)
        return try await BlockingIO.run {
            try Self.exchange(port: port, source: source, method: method, path: path, headers: headers, body: body)
        }
    }

    /// The login form's CSRF cookie and token, then a login with `password`.
    func logIn(role: String, password: String, next: String = "/status") async throws -> Answer {
        let page = try await request("GET", "/login")
        let cookie = try #require(page.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        let token = try #require(Browser.hiddenField("csrf", in: page.body))
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let form = ["csrf": token, "role": role, "password": password, "next": next]
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try await request("POST", "/login", headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"], body: form)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private static func exchange(port: Int, source: String, method: String, path: String, headers: [String: String], body: String) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }) == 0 else {
            throw Failure(description: "bind \(source): errno \(errno)")
        }
        guard withUnsafePointer(to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }) == 0 else {
            throw Failure(description: "connect: errno \(errno)")
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bytes = Array((head + "\r\n" + body).utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            // A signal (a debugger attaching, a child exiting) interrupts the call, not the answer.
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "recv: errno \(errno)") }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP answer: \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "no status line: \(lines.first ?? "")")
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // Several Set-Cookie lines: the first one is the one the tests read.
            if fields[name] == nil { fields[name] = value }
        }
        return Answer(status: status, headers: fields, body: String(text[split.upperBound...]))
    }
}
