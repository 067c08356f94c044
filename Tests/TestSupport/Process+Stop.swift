import Foundation
import Glibc

/// Stopping a test's child process within a bound. A child left running keeps the test
/// runner's output pipe open if it inherited it, and `swift test` then waits for the pipe's end
/// forever after the last test; a child that ignores SIGTERM would hold its test the same way.
extension Process {
    /// Sends `signal`, waits up to `grace` for the exit, then SIGKILL. False when the signal alone
    /// did not end it in time (a shutdown that hangs: worth a test failure of its own).
    /// It polls `isRunning` instead of calling `waitUntilExit()`, which spins a run loop on the
    /// calling thread (a pooled one in an async test).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(30)) -> Bool {
        guard isRunning else { return true }
        kill(processIdentifier, signal)
        if waitForExit(within: grace) { return true }
        kill(processIdentifier, SIGKILL)
        _ = waitForExit(within: .seconds(30))
        return false
    }

    /// ``stop(signal:grace:)`` without holding a thread while it waits.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(30)) async -> Bool {
        guard isRunning else { return true }
        kill(processIdentifier, signal)
        if await waitForExit(within: grace) { return true }
        kill(processIdentifier, SIGKILL)
        _ = await waitForExit(within: .seconds(30))
        return false
    }

    /// Whether the process ended within `limit`.
    public func waitForExit(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(20_000)
        }
        return true
    }

    /// Whether the process ended within `limit`, sleeping between looks.
    public func waitForExit(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
