import Foundation
import Logging
import POSIXSupport
import StudyStore
import Synchronization

/// run/agent.log: the agent's log lines kept on the box as well as on stderr (the journal), so
/// the diagnostics bundle has them where there is no journalctl. Rotated to agent.log.1 at
/// `maximumBytes`; a failing write is dropped (logging never stops the agent).
public final class AgentLogFile: Sendable {
    public let path: String
    let maximumBytes: Int64
    private struct State {
        var fd: Int32?
        var size: Int64 = 0
    }
    private let state = Mutex(State())

    public static func path(in directory: DataDirectory) -> String { RunStateFiles(directory: directory).path(.agentLog) }

    public init(directory: DataDirectory, maximumBytes: Int64 = 4 << 20) {
        path = Self.path(in: directory)
        self.maximumBytes = maximumBytes
    }

    deinit {
        if let fd = state.withLock({ $0.fd }) { Posix.close(fd) }
    }

    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        state.withLock { state in
            if state.fd == nil || state.size + Int64(bytes.count) > maximumBytes {
                if let fd = state.fd {
                    Posix.close(fd)
                    state.fd = nil
                    try? Posix.rename(path, path + ".1")
                }
                guard let fd = try? Posix.open(path, [.writeOnly, .create, Posix.OpenFlags(rawValue: O_APPEND)], mode: 0o640) else { return }
                state.fd = fd
                state.size = (try? Posix.fileStatus(fd, path: path).size) ?? 0
            }
            guard let fd = state.fd else { return }
            do {
                try bytes.withUnsafeBytes { try Posix.writeAll(fd, from: $0.baseAddress!, count: $0.count, path: path) }
                state.size += Int64(bytes.count)
            } catch {
                // Disk full or the folder gone: the line still went to stderr.
            }
        }
    }

    /// A log handler that writes here.
    public func handler(label: String, level: Logger.Level) -> some LogHandler {
        Handler(file: self, label: label, logLevel: level)
    }

    struct Handler: LogHandler {
        let file: AgentLogFile
        let label: String
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let (level, message) = (event.level, event.message)
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            file.write("\(stamp) \(level) \(label): \(message)\(fields)")
        }
    }
}
