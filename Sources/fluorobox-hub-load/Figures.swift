import Foundation
import Synchronization

/// Latencies and outcomes of one phase, from every device task at once.
final class PhaseRecorder: Sendable {
    private struct State {
        var latencies: [String: [Double]] = [:]
        var statuses: [String: Int] = [:]
        var failures: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func record(_ kind: String, milliseconds: Double, status: UInt) {
        state.withLock {
            $0.latencies[kind, default: []].append(milliseconds)
            $0.statuses["\(kind) \(status)", default: 0] += 1
        }
    }

    func failed(_ kind: String, _ error: any Error) {
        state.withLock { $0.failures["\(kind): \(String(describing: error).prefix(120))", default: 0] += 1 }
    }

    func summary(seconds: Double) -> PhaseFigures {
        state.withLock { state in
            let all = state.latencies.values.flatMap { $0 }
            var kinds: [String: LatencyFigures] = [:]
            for (kind, values) in state.latencies { kinds[kind] = LatencyFigures(values, seconds: seconds) }
            return PhaseFigures(
                seconds: seconds, all: LatencyFigures(all, seconds: seconds), kinds: kinds,
                statuses: state.statuses, failures: state.failures
            )
        }
    }
}

struct LatencyFigures: Codable, Sendable {
    var count: Int
    var perSecond: Double
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double

    init(_ values: [Double], seconds: Double) {
        let sorted = values.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
        }
        count = sorted.count
        perSecond = seconds > 0 ? Double(sorted.count) / seconds : 0
        p50 = percentile(50)
        p90 = percentile(90)
        p99 = percentile(99)
        max = sorted.last ?? 0
    }
}

struct PhaseFigures: Codable, Sendable {
    var seconds: Double
    var all: LatencyFigures
    var kinds: [String: LatencyFigures]
    var statuses: [String: Int]
    var failures: [String: Int]
    /// CPU seconds each process spent in the phase: hub, postgres (all its processes), this
    /// load generator.
    var cpuSeconds: [String: Double] = [:]
}

/// CPU time of processes from /proc (user + system), to say where a phase's time went.
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Seconds of CPU `pid` used so far; with `children`, also every process whose parent is
    /// `pid` (PostgreSQL's backends are children of the postmaster).
    static func seconds(pid: Int32, children: Bool = false) -> Double {
        // With children, also the postmaster's cutime and cstime: backends that ended.
        var total = (children ? stat(pid).map { $0.ticks + $0.reaped } : ticks(pid)) ?? 0
        if children, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") {
            for entry in entries {
                guard let child = Int32(entry), child != pid, let (parent, used, _) = stat(child), parent == pid else { continue }
                total += used
            }
        }
        return total / ticksPerSecond
    }

    private static func ticks(_ pid: Int32) -> Double? { stat(pid)?.ticks }

    /// (parent pid, utime + stime) from /proc/PID/stat; the command may hold spaces, so fields
    /// are counted after its closing parenthesis.
    private static func stat(_ pid: Int32) -> (parent: Int32, ticks: Double, reaped: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
        guard fields.count > 14, let parent = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]),
              let childUser = Double(fields[13]), let childSystem = Double(fields[14]) else { return nil }
        return (parent, user + system, childUser + childSystem)
    }
}
