import Foundation
import POSIXSupport
import StudyStore
import Synchronization

/// What one destination's sync is doing, for `fluorobox status` and the panel
/// (run/sync-<destination>.json, rewritten on every change).
public struct SyncStatus: Codable, Sendable, Hashable {
    public var destination: String
    /// idle, sending, backoff, paused, stopped.
    public var phase = "starting"
    public var lastSuccessAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var consecutiveFailures = 0
    public var currentKey: String?
    /// The box's clock looked wrong (before the build, or far from the platform's).
    public var clockProblem: String?
    public var updatedAt = Date()

    public init(destination: String) {
        self.destination = destination
    }

    /// Every destination's status file in the data folder's run/ directory.
    public static func readAll(in directory: DataDirectory) -> [SyncStatus] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.runPath)) ?? []
        return names.filter { $0.hasPrefix("sync-") && $0.hasSuffix(".json") }.sorted()
            .compactMap { read(path: directory.runPath + "/" + $0) }
    }

    public static func read(path: String) -> SyncStatus? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(SyncStatus.self, from: data)
    }
}

/// Keeps a ``SyncStatus`` and writes it out (temp file + rename; no fsync: it is a view).
final class SyncStatusRecorder: Sendable {
    let path: String
    private let state: Mutex<SyncStatus>

    init(path: String, destination: String) {
        self.path = path
        self.state = Mutex(SyncStatus(destination: destination))
    }

    static func path(in directory: DataDirectory, destination: Destination) -> String {
        directory.runPath + "/sync-\(destination.rawValue).json"
    }

    func update(_ body: (inout SyncStatus) -> Void) {
        let changed = state.withLock { status -> SyncStatus? in
            let before = status
            body(&status)
            if status == before { return nil }
            status.updatedAt = Date()
            return status
        }
        guard let snapshot = changed else { return }
        guard let data = try? JSONEncoder.compact().encode(snapshot) else { return }
        try? data.withUnsafeBytes { bytes in
            try Posix.replaceFile(path, with: bytes, mode: 0o644, syncFile: false)
        }
    }
}
