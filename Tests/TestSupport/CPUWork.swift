import Glibc
import POSIXSupport

/// Runs CPU-heavy test work (decoding whole radiographs, image statistics) on a thread of its
/// own (BlockingIO), off Swift's cooperative pool, and at most one per core at once. Tests run in
/// parallel on that pool, which has one thread per core; two decoding tests on a two-core machine
/// would otherwise starve every listener and peer test until dcmtk's 30 s association timeout,
/// and thirty decodes at once would each take thirty times as long. Expectations stay in the
/// calling test: return values from `body`, check them after.
public func cpuWork<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    await CPUSlots.shared.take()
    do {
        let value = try await BlockingIO.run(body)
        await CPUSlots.shared.give()
        return value
    } catch {
        await CPUSlots.shared.give()
        throw error
    }
}

/// One slot a core; waiters are served oldest first.
private actor CPUSlots {
    static let shared = CPUSlots(count: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func take() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot to the oldest waiter, if any, so `free` stays as it is.
    func give() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
