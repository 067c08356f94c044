import Logging
import Synchronization

/// A logger that keeps what it is told, for tests that check a warning was (or was not) logged.
public final class RecordingLogger: Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    public var logger: Logger {
        Logger(label: "test-recording") { _ in Handler(recorder: self) }
    }

    public var recorded: [Entry] { entries.withLock { $0 } }

    /// Entries at `level`.
    public func entries(at level: Logger.Level) -> [Entry] { recorded.filter { $0.level == level } }

    private struct Handler: LogHandler {
        let recorder: RecordingLogger
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            for (key, value) in event.metadata ?? [:] { merged[key] = value }
            let entry = Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
            recorder.entries.withLock { $0.append(entry) }
        }
    }
}
