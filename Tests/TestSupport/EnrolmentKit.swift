import Foundation

/// What enrolment tests need around a hub: the test PKI (the hub's server certificate), a box's
/// key and certificate request made with openssl as first boot makes them, the operator's
/// `fluorobox-hub` commands, and curl over TLS.
public enum EnrolmentKit {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// tools/pki/make-test-pki in `folder`/pki: ca.pem (trusted by boxes), hub.pem/.key, and
    /// the refused variants.
    public static func makeTestPKI(in folder: TemporaryDirectory, device: String = "box-test-1") async throws -> String {
        let pki = folder.file("pki")
        let script = URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent("tools/pki/make-test-pki").path
        let result = try await ProcessRunner.run("/bin/bash", [script, pki, device])
        guard result.status == 0 else { throw Failure("make-test-pki failed: \(result.stderr)") }
        return pki
    }

    /// An EC P-256 key and a CSR with CN = `device`, as board/…/firstboot makes them.
    public static func deviceRequest(in folder: String, device: String) async throws -> (key: String, csr: String) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let key = folder + "/device.key", csr = folder + "/device.csr"
        for arguments in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
            ["req", "-new", "-key", key, "-subj", "/CN=\(device)", "-out", csr],
        ] {
            let result = try await ProcessRunner.run("/usr/bin/openssl", arguments)
            guard result.status == 0 else { throw Failure("openssl \(arguments[0]): \(result.stderr)") }
        }
        return (key, csr)
    }

    /// Runs `fluorobox-hub ARGUMENTS…` and returns its standard output; throws on a non-zero exit.
    @discardableResult
    public static func hub(_ binary: String, _ arguments: [String]) async throws -> String {
        let result = try await ProcessRunner.run(binary, arguments)
        guard result.status == 0 else { throw Failure("fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The subject, serial and extended key usage of a PEM certificate, as openssl prints them.
    public static func describe(certificate path: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/openssl", ["x509", "-in", path, "-noout", "-subject", "-serial", "-ext", "extendedKeyUsage"])
        guard result.status == 0 else { throw Failure("openssl x509: \(result.stderr)") }
        return result.stdout
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: String
    }

    /// One HTTPS request by curl, trusting `ca`; with `certificate`/`key` as the client.
    public static func curl(
        port: Int, _ method: String, _ path: String, ca: String, certificate: String? = nil, key: String? = nil,
        json: String? = nil, headers: [String] = []
    ) async throws -> Answer {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var arguments = ["-sS", "--max-time", "60", "-o", output, "-w", "%{http_code}", "--cacert", ca, "-H", "Expect:"]
        // HEAD: the answer's headers are what the body file then holds.
        arguments += method == "HEAD" ? ["-I"] : ["-X", method]
        if let certificate, let key { arguments += ["--cert", certificate, "--key", key] }
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        for header in headers { arguments += ["-H", header] }
        let result = try await ProcessRunner.run("/usr/bin/curl", arguments + ["https://127.0.0.1:\(port)" + path])
        return Answer(status: Int(result.stdout) ?? 0, body: (try? String(contentsOfFile: output, encoding: .utf8)) ?? result.stderr)
    }

    /// The JSON body of `POST /v1/enrolment`.
    public static func enrolmentBody(token: String, csrPath: String) throws -> String {
        let csr = try String(contentsOfFile: csrPath, encoding: .utf8)
        let data = try JSONSerialization.data(withJSONObject: ["token": token, "csr": csr])
        return String(decoding: data, as: UTF8.self)
    }

    /// The chain PEM of a 201 enrolment answer, written to `path`.
    public static func keepCertificate(_ answer: Answer, at path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        guard let chain = object?["certificate"] as? String else { throw Failure("no certificate in \(answer.body)") }
        try Data(chain.utf8).write(to: URL(fileURLWithPath: path))
    }
}
