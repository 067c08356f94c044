import Glibc
import Synchronization

/// Named places in the durable write path where the crash test can kill the process.
///
/// Inert unless `FLUOROBOX_CRASH_AT=name[:n]` is set: the process then sends itself SIGKILL at
/// the n-th time (default 1) it passes `name`, which is as abrupt as a power cut for everything
/// the kernel has not yet been told to persist. Used by tools/crashtest only.
public enum CrashPoint {
    public static let environmentVariable = "FLUOROBOX_CRASH_AT"

    private struct Armed: Sendable {
        let name: String
        let hit: Int
    }

    private static let armed: Armed? = {
        guard let raw = getenv(environmentVariable).map({ String(cString: $0) }), !raw.isEmpty else { return nil }
        let parts = raw.split(separator: ":", maxSplits: 1)
        let count = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return Armed(name: String(parts[0]), hit: max(1, count))
    }()

    private static let passes = Mutex(0)

    /// Whether the crash test armed `name` (a caller may let in-flight I/O reach the wire first).
    public static func isArmed(_ name: StaticString) -> Bool {
        armed?.name == name.description
    }

    /// Marks that execution reached `name`; kills the process if this is the armed pass.
    public static func reached(_ name: StaticString) {
        guard let armed, armed.name == name.description else { return }
        let count = passes.withLock { value -> Int in
            value += 1
            return value
        }
        if count == armed.hit {
            kill(getpid(), SIGKILL)
        }
    }
}
