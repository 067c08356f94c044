import Foundation
import Glibc
import Synchronization

/// A "hub" on loopback that answers every request with canned headers: a hub that lies about
/// what it holds. One blocking thread; each connection gets one answer and is closed.
final class LyingHub: Sendable {
    let port: Int
    private let listener: Int32
    /// Method → header lines of the answer.
    private let answers: [String: [String]]
    /// The answer's status line after the version, and its body.
    private let status: String
    private let body: String
    private let seen = Mutex<[String]>([])

    init(answers: [String: [String]], status: String = "200 OK", body: String = "") throws {
        self.answers = answers
        self.status = status
        self.body = body
        (listener, port) = try FaultProxy.listenOnLoopback(backlog: 16)
        Thread.detachNewThread { [self] in serve() }
    }

    /// The request lines answered so far ("HEAD /v1/instances/…").
    var requests: [String] { seen.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            // Read the head, then as much body as Content-Length says.
            while true {
                let count = read(client, &buffer, buffer.count)
                if count <= 0 { break }
                received += buffer[0..<count]
                let text = String(decoding: received, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { continue }
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count - text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) >= length { break }
            }
            let requestLine = String(decoding: received, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
            seen.withLock { $0.append(requestLine) }
            let method = String(requestLine.split(separator: " ").first ?? "")
            let lines = answers[method] ?? []
            let answer = (["HTTP/1.1 \(status)"] + lines + ["Content-Length: \(body.utf8.count)", "Connection: close", "", body]).joined(separator: "\r\n")
            _ = answer.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }
}
