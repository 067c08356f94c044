import Foundation
import POSIXSupport
import StudyStore

/// One self-test step: capture source answers, model reproduces its reference, store integrity,
/// destination reachable.
public struct SelfTestCheck: Sendable {
    public var name: String
    public var run: @Sendable () async -> SelfTestResult.Outcome

    public init(name: String, run: @escaping @Sendable () async -> SelfTestResult.Outcome) {
        self.name = name
        self.run = run
    }

    /// `PRAGMA quick_check` on the store.
    public static func storeIntegrity(_ store: StudyStore) -> SelfTestCheck {
        SelfTestCheck(name: "store integrity") {
            do {
                let lines = try await BlockingIO.run { try store.quickCheck() }
                return lines == ["ok"] ? .pass("quick_check ok") : .fail("quick_check: " + lines.prefix(3).joined(separator: "; "))
            } catch {
                return .fail("\(error)")
            }
        }
    }
}

/// The result of one check.
public struct SelfTestResult: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        case pass, fail
        /// The part is not configured or not built yet.
        case skipped
    }

    public struct Outcome: Sendable, Hashable {
        public var status: Status
        public var detail: String
        public static func pass(_ detail: String) -> Outcome { Outcome(status: .pass, detail: detail) }
        public static func fail(_ detail: String) -> Outcome { Outcome(status: .fail, detail: detail) }
        public static func skipped(_ detail: String) -> Outcome { Outcome(status: .skipped, detail: detail) }
    }

    public var name: String
    public var status: Status
    public var detail: String
    public var milliseconds: Double
}

/// All checks run in order.
public struct SelfTestReport: Sendable, Codable, Hashable {
    public var startedAt: Date
    public var results: [SelfTestResult]

    /// No check failed (skipped ones do not count against it).
    public var passed: Bool { !results.contains { $0.status == .fail } }

    public static func run(_ checks: [SelfTestCheck]) async -> SelfTestReport {
        let startedAt = Date()
        var results: [SelfTestResult] = []
        for check in checks {
            let clock = ContinuousClock.now
            let outcome = await check.run()
            let elapsed = ContinuousClock.now - clock
            results.append(SelfTestResult(name: check.name, status: outcome.status, detail: outcome.detail, milliseconds: elapsed.inMilliseconds))
        }
        return SelfTestReport(startedAt: startedAt, results: results)
    }

    /// The human form, for `fluorobox selftest`.
    public var text: String {
        var lines = results.map { result in
            let mark = switch result.status {
            case .pass: "PASS"
            case .fail: "FAIL"
            case .skipped: "SKIP"
            }
            return "\(mark)  \(result.name): \(result.detail) (\(String(format: "%.0f", result.milliseconds)) ms)"
        }
        lines.append(passed ? "self-test passed" : "self-test FAILED")
        return lines.joined(separator: "\n")
    }
}
