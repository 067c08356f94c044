import Dispatch

/// Runs blocking file work (fsync, large reads, flock waits) off Swift's cooperative thread pool.
///
/// The pool has one thread per core (two on the box); an fsync that takes 30 ms on an SD card must
/// not stall every task meanwhile.
public enum BlockingIO {
    private static let queue = DispatchQueue(
        label: "fluorobox.blocking-io", qos: .userInitiated, attributes: .concurrent
    )

    @discardableResult
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
