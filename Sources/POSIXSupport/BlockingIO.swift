import Glibc

/// Runs blocking work (fsync, large reads, flock waits, a slow password hash, waiting for a
/// child) on a thread of its own, off Swift's cooperative pool and off dispatch's global queues.
///
/// On Linux both draw on root pools of one thread per core (two on the box), grown by one thread
/// a second while all of them block. An fsync that takes 30 ms on an SD card, an eviction waiting
/// for a lock or a login's PBKDF2 would otherwise hold one of two threads that every C-STORE,
/// page and health check also needs; a few at once stalled the whole agent for tens of seconds.
/// A thread per call costs tens of microseconds; the callers are per request, not per byte.
public enum BlockingIO {
    @discardableResult
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            start { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Starts `body` on a new detached thread and returns at once. When the system refuses
    /// another thread, `body` runs on the caller's: late, never lost.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let started = pthread_create(&thread, &attributes, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        if started != 0 {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            body()
        }
    }
}

private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
