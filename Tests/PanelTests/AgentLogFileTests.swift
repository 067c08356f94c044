import Appliance
import FluoroboxTestSupport
import Foundation
import Logging
import StudyStore
import Testing

/// run/agent.log, the log the diagnostics bundle reads where there is no journal.
@Suite("Agent log file")
struct AgentLogFileTests {
    @Test("lines carry time, level, label, message and metadata; the file rotates to agent.log.1 at its limit")
    func writesAndRotates() throws {
        let folder = TemporaryDirectory("agent-log")
        let directory = DataDirectory(path: folder.path)
        try FileManager.default.createDirectory(atPath: directory.runPath, withIntermediateDirectories: true)
        let file = AgentLogFile(directory: directory, maximumBytes: 2_000)
        let logger = Logger(label: "fluorobox") { label in file.handler(label: label, level: .info) }
        logger.debug("not at info level")
        for index in 0..<40 { logger.notice("line \(index) of the test", metadata: ["component": "panel"]) }
        let current = try String(contentsOfFile: file.path, encoding: .utf8)
        let previous = try String(contentsOfFile: file.path + ".1", encoding: .utf8)
        #expect(current.utf8.count <= 2_000 && previous.utf8.count <= 2_000)
        #expect(current.contains("notice fluorobox: line 39 of the test component=panel"))
        #expect(!current.contains("not at info level") && !previous.contains("not at info level"))
        let first = try #require(current.split(separator: "\n").first)
        #expect(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z notice "#, options: .regularExpression) != nil, "\(first)")
    }
}
