import FluoroboxTestSupport
import Foundation
import Testing

/// The box runs the agent as its own unprivileged user (board/common/overlay: User=fluorobox).
/// An accepted association must not need any privilege: a socket option set at the wrong level
/// (SOL_SOCKET 1 = SO_DEBUG instead of IPPROTO_TCP TCP_NODELAY) fails with EACCES without
/// CAP_NET_ADMIN and used to bring the whole agent down at the first connection.
@Suite("DICOM listener as an unprivileged user", .serialized)
struct UnprivilegedListenerTests {
    @Test("serve as nobody takes C-STOREs from fluorobox dicom send and storescu, and keeps running", .enabled(if: getuid() == 0, "needs root to switch to an unprivileged user"))
    func storeAsNobody() async throws {
        let folder = TemporaryDirectory("dicom-nobody")
        chmod(folder.path, 0o755)
        let data = folder.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chown(data, 65534, 65534)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        serve.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", ProcessRunner.fluorobox, "serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_PANEL_PORT"] = "0"
        environment["FLUOROBOX_PANEL_BIND_ADDRESS"] = "127.0.0.1"
        environment["FLUOROBOX_ANALYSIS_ENABLED"] = "false"
        serve.environment = environment
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        var port: Int?
        for _ in 0..<300 {
            if let json = try? Data(contentsOf: URL(fileURLWithPath: data + "/run/agent.json")),
               let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
               object["state"] as? String == "ready", let listeners = object["listeners"] as? [String: Int] {
                port = listeners["dicom"]
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let dicomPort = try #require(port, "the agent never became ready")

        let first = try folder.write("in/a.dcm", try SyntheticDICOM.make())
        let send = try await runTool(ProcessRunner.fluorobox, ["dicom", "send", "127.0.0.1", "\(dicomPort)", first, "--aec", "FLUOROBOX", "--aet", "CLI"])
        #expect(send.status == 0 && send.stdout.hasPrefix("stored"), "\(send.stdout)\(send.stderr)")
        if let storescu = tool("storescu") {
            let second = try folder.write("in/b.dcm", try SyntheticDICOM.make())
            let result = try await runTool(storescu, ["-aet", "STORESCU", "-aec", "FLUOROBOX", "127.0.0.1", "\(dicomPort)", second])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
        #expect(serve.isRunning, "the agent died after an association")

        kill(serve.processIdentifier, SIGTERM)
        for _ in 0..<100 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0)
        let studies = try await runTool(ProcessRunner.fluorobox, ["studies", "--data-dir", data, "--json"])
        #expect(studies.stdout.components(separatedBy: "dicom-scp").count - 1 == (tool("storescu") == nil ? 1 : 2), "\(studies.stdout)")
    }
}
