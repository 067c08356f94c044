import Foundation
import FluoroboxTestSupport

/// One request to a hub by curl, as an independent client that sends exactly the headers a test
/// gives (a hostile device, a malformed header), with the client certificate of one device.
struct HubCall {
    struct Answer {
        var status: Int
        /// Header names lower-cased.
        var headers: [String: String]
        var body: String
    }

    let port: Int
    /// nil: plain HTTP.
    let pki: String?

    /// `certificate`: "device" or "other-device" (tools/pki/make-test-pki), ignored without TLS.
    func call(
        as certificate: String = "device", _ method: String, _ path: String, headers: [String] = [], body: String? = nil
    ) async throws -> Answer {
        let folder = TemporaryDirectory("hub-call")
        let headerFile = folder.file("headers"), bodyFile = folder.file("body")
        var arguments = ["-sS", "--max-time", "10", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        if method == "HEAD" {
            arguments.append("-I")
        } else {
            arguments += ["-X", method]
        }
        for header in headers { arguments += ["-H", header] }
        if let body {
            arguments += ["--data-binary", body]
            if !headers.contains(where: { $0.lowercased().hasPrefix("content-type:") }) { arguments += ["-H", "Content-Type: application/json"] }
        }
        let base: String
        if let pki {
            arguments += ["--cacert", "\(pki)/ca.pem", "--cert", "\(pki)/\(certificate).pem", "--key", "\(pki)/\(certificate).key"]
            base = "https://127.0.0.1:\(port)"
        } else {
            base = "http://127.0.0.1:\(port)"
        }
        let result = try await ProcessRunner.run("/usr/bin/curl", arguments + [base + path])
        var parsed: [String: String] = [:]
        for line in ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(
            status: Int(result.stdout) ?? 0, headers: parsed,
            body: (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        )
    }
}
