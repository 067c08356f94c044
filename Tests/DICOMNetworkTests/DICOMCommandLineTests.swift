import FluoroboxTestSupport
import Foundation
import Testing

/// `fluorobox serve` with its listener, and `fluorobox dicom echo/send`, as real processes.
@Suite("fluorobox serve --dicom-port and fluorobox dicom", .serialized)
struct DICOMCommandLineTests {
    @Test("serve binds the listener, writes its port to run/agent.json, and the dicom commands talk to it")
    func serveEchoSend() async throws {
        let folder = TemporaryDirectory("dicom-cli")
        let data = folder.file("data")
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: ProcessRunner.fluorobox)
        serve.arguments = ["serve", "--data-dir", data, "--dicom-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["FLUOROBOX_DICOM_AE_TITLE"] = "CLINIC_BOX"
        environment["FLUOROBOX_DICOM_BIND_ADDRESS"] = "127.0.0.1"
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
        let dicomPort = try #require(port)
        #expect(dicomPort > 0)

        let echo = try await runTool(ProcessRunner.fluorobox, ["dicom", "echo", "127.0.0.1", "\(dicomPort)", "--aec", "CLINIC_BOX"])
        #expect(echo.status == 0 && echo.stdout.contains("0x0000 (success)"), "\(echo.stdout)\(echo.stderr)")
        let wrong = try await runTool(ProcessRunner.fluorobox, ["dicom", "echo", "127.0.0.1", "\(dicomPort)", "--aec", "SOMEONE"])
        #expect(wrong.status == 1 && wrong.stderr.contains("called AE title not recognised"), "\(wrong.stderr)")

        let files = [try folder.write("in/a.dcm", try SyntheticDICOM.make()), try folder.write("in/b.dcm", try SyntheticDICOM.make())]
        try folder.write("in/notes.txt", Array("not DICOM".utf8))
        let send = try await runTool(ProcessRunner.fluorobox, ["dicom", "send", "127.0.0.1", "\(dicomPort)", folder.file("in"), "--aec", "CLINIC_BOX", "--aet", "CLI"])
        // Two stored, the text file reported as not sent, so the exit status says "not everything".
        #expect(send.status == 1)
        #expect(send.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("stored") }.count == 2, "\(send.stdout)")
        #expect(send.stdout.contains("NOT SENT") && send.stdout.contains("notes.txt"))
        let studies = try await runTool(ProcessRunner.fluorobox, ["studies", "--data-dir", data, "--json"])
        #expect(studies.status == 0)
        #expect(studies.stdout.components(separatedBy: "dicom-scp").count - 1 == files.count, "\(studies.stdout)")

        kill(serve.processIdentifier, SIGTERM)
        for _ in 0..<100 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0)
        let unreachable = try await runTool(ProcessRunner.fluorobox, ["dicom", "echo", "127.0.0.1", "\(dicomPort)", "--timeout", "2"])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("connection failed"), "\(unreachable.stderr)")
    }
}
