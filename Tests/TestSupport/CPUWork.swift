import POSIXSupport

/// Runs CPU-heavy test work (decoding whole radiographs, image statistics) off Swift's
/// cooperative pool. Tests run in parallel on that pool, which has one thread per core; two
/// decoding tests on a two-core machine would otherwise starve every listener and peer test
/// until dcmtk's 30 s association timeout. Expectations stay in the calling test: return
/// values from `body`, check them after.
public func cpuWork<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingIO.run(body)
}
