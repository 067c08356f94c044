import Foundation
import POSIXSupport
import StudyStore
import Synchronization

/// run/agent.json: what the running agent tells `fluorobox status` and scripts (pid, state,
/// listeners); read through ``RunStateFiles/agentState()``. The agent lock file, not this file, decides whether an agent is running.
public final class AgentStateFile: Sendable {
    public struct Contents: Codable, Sendable, Hashable {
        public var pid: Int32
        public var version: String
        public var dataDirectory: String
        /// `starting`, `ready` or `stopped`.
        public var state: String
        public var startedAt: Date
        public var readyAt: Date?
        public var stoppedAt: Date?
        /// Listening ports by name, e.g. ["dicom": 104, "panel": 8080].
        public var listeners: [String: Int]
    }

    private let files: RunStateFiles
    private let contents: Mutex<Contents>

    public init(directory: DataDirectory, version: String, listeners: [String: Int] = [:]) {
        files = RunStateFiles(directory: directory)
        contents = Mutex(Contents(
            pid: Posix.currentProcessID, version: version, dataDirectory: directory.path, state: "starting",
            startedAt: Date(), readyAt: nil, stoppedAt: nil, listeners: listeners
        ))
        update()
    }

    public func markReady() {
        update {
            $0.state = "ready"
            $0.readyAt = Date()
        }
    }

    /// Records the port a listener actually bound (it may have asked for 0).
    public func setListener(_ name: String, port: Int) {
        update { $0.listeners[name] = port }
    }

    public func markStopped() {
        update {
            $0.state = "stopped"
            $0.stoppedAt = Date()
        }
    }

    /// Changes and writes under one lock: two services updating at once (the panel's port just
    /// as the agent turns ready) would otherwise rename their snapshots in either order. The
    /// file is informational; the lock file is what guards the folder.
    private func update(_ change: (inout Contents) -> Void = { _ in }) {
        contents.withLock { contents in
            change(&contents)
            files.writeView(contents, to: .agent)
        }
    }
}
