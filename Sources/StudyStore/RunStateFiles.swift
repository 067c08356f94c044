import Foundation
import POSIXSupport

/// The files through which the running agent tells `fluorobox status`, the panel, the self-test
/// and scripts what it is doing: their names, how they are written and how they are read.
/// Here, beside ``DataDirectory``, because both Sync and Appliance write them and the CLI and the
/// panel read them; the types written (agent state, USB link, sync status, model updates) stay
/// in their rooms and read and write through extensions of this one.
///
///     run/agent.json              the agent: pid, state, listeners
///     run/usb-link.json           the USB capture link
///     run/sync-<destination>.json what one destination's sync is doing
///     run/sync.paused             present while sync is paused
///     run/agent.log               the agent's log lines
///     sync/model-updates.json     what became of each model the platform offered (a record, kept)
///     sync/os-updates.json        what became of each OS bundle the platform assigned (kept)
public struct RunStateFiles: Sendable, Hashable {
    public enum File: Sendable, Hashable {
        case agent
        case usbLink
        case sync(destination: String)
        case syncPaused
        case agentLog
        case modelUpdates
        case osUpdates
    }

    public let directory: DataDirectory

    public init(directory: DataDirectory) {
        self.directory = directory
    }

    public func path(_ file: File) -> String {
        switch file {
        case .agent: directory.runPath + "/agent.json"
        case .usbLink: directory.runPath + "/usb-link.json"
        case .sync(let destination): directory.runPath + "/" + Self.syncPrefix + destination + ".json"
        case .syncPaused: directory.runPath + "/sync.paused"
        case .agentLog: directory.runPath + "/agent.log"
        case .modelUpdates: recordsPath + "/model-updates.json"
        case .osUpdates: recordsPath + "/os-updates.json"
        }
    }

    private static let syncPrefix = "sync-"
    /// Outside run/: the model update records are kept (fsync'd, owner-only), not a view.
    private var recordsPath: String { directory.path + "/sync" }

    /// Rewrites a view (temp file + rename, so readers never see a part). No fsync: the agent
    /// rewrites views often and can do without one after a power cut; a failed write is left for
    /// the next one.
    public func writeView(_ value: some Encodable, to file: File) {
        guard let data = try? encoder(for: file).encode(value) else { return }
        try? data.withUnsafeBytes { bytes in
            try Posix.replaceFile(path(file), with: bytes, mode: 0o644, syncFile: false)
        }
    }

    /// Rewrites a kept record durably (file fsync'd), creating its folder owner-only.
    public func writeRecord(_ value: some Encodable, to file: File) throws {
        let data = try encoder(for: file).encode(value)
        try Posix.makeDirectories(recordsPath, mode: 0o700)
        try data.withUnsafeBytes { bytes in
            try Posix.replaceFile(path(file), with: bytes, mode: 0o600, syncDirectory: false)
        }
    }

    /// What another process wrote; nil when absent or unreadable.
    public func read<Value: Decodable>(_ type: Value.Type, from file: File) -> Value? {
        guard let data = contents(of: file) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(type, from: data)
    }

    /// The file's bytes as written; nil when absent.
    public func contents(of file: File) -> Data? {
        FileManager.default.contents(atPath: path(file))
    }

    /// The destinations that have a sync status file, by name.
    public func syncDestinations() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.runPath)) ?? []
        return names.filter { $0.hasPrefix(Self.syncPrefix) && $0.hasSuffix(".json") }.sorted()
            .map { String($0.dropFirst(Self.syncPrefix.count).dropLast(".json".count)) }
    }

    /// True when a flag file (``File/syncPaused``) is there.
    public func isFlagSet(_ file: File) -> Bool {
        (try? Posix.fileStatus(path(file))) != nil
    }

    /// Creates a flag file durably, so it survives a restart.
    public func setFlag(_ file: File) throws(SystemCallError) {
        let path = path(file)
        let fd = try Posix.open(path, [.writeOnly, .create], mode: 0o644)
        try Posix.fsync(fd, path: path)
        Posix.close(fd)
        try Posix.fsyncDirectory(directory.runPath)
    }

    /// Removes a flag file durably; nothing to do when it is not there.
    public func clearFlag(_ file: File) throws(SystemCallError) {
        do {
            try Posix.unlink(path(file))
            try Posix.fsyncDirectory(directory.runPath)
        } catch where error.code == ENOENT {
            // Not raised: nothing to do.
        }
    }

    /// Sync status lines are read by machines (one line); the rest a person may read too.
    private func encoder(for file: File) -> JSONEncoder {
        if case .sync = file { return .compact() }
        return .indented()
    }
}
