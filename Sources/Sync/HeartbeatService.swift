import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore
import Synchronization

/// Sends the platform a ``DeviceHeartbeat`` every `sync.heartbeatIntervalSeconds`: the first
/// at start, then on the interval, each gathered afresh from the store and the run state.
///
/// Nothing waits for it: it has its own client (mutual TLS like every platform request), reads
/// the store off the cooperative pool, and a failure is logged, counted and reported in the next
/// heartbeat that gets through; it is tried again after a minute, doubling up to the interval,
/// never in a tight loop and never fatal to the agent.
public final class HeartbeatService: Service, Sendable {
    public static let name = "heartbeat"

    /// What the service has done, for tests and status.
    public struct Figures: Sendable, Hashable {
        public var sent = 0
        public var failed = 0
        public var consecutiveFailures = 0
        /// The box's clock minus the platform's at the last exchange.
        public var clockSkewSeconds: Double?
        public var lastFailure: DeviceHeartbeat.RecentError?
    }

    let client: PlatformClient
    let store: StudyStore
    let intervalSeconds: Double
    let agentVersion: String
    let models: @Sendable () async -> [DeviceHeartbeat.Model]
    let os: @Sendable () async -> DeviceHeartbeat.OS?
    let onPlatformTime: @Sendable (PlatformClockReading) -> Void
    let startedAt = Date()
    let logger: Logger
    private let state = Mutex(Figures())

    /// `models`: each task's active package (the agent reads the packages folder);
    /// `os`: the root slots' version and last update outcome (nil without A/B slots);
    /// `onPlatformTime`: each reply's clock reading, for sync's clock check.
    public init(
        client: PlatformClient, store: StudyStore, intervalSeconds: Double, agentVersion: String,
        models: @escaping @Sendable () async -> [DeviceHeartbeat.Model],
        os: @escaping @Sendable () async -> DeviceHeartbeat.OS? = { nil },
        onPlatformTime: @escaping @Sendable (PlatformClockReading) -> Void = { _ in }, logger: Logger
    ) {
        self.client = client
        self.store = store
        self.intervalSeconds = intervalSeconds
        self.agentVersion = agentVersion
        self.models = models
        self.os = os
        self.onPlatformTime = onPlatformTime
        self.logger = logger
    }

    public var figures: Figures { state.withLock { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let delivered = await self.beat()
                let failures = self.figures.consecutiveFailures
                let wait = delivered ? self.intervalSeconds : min(self.intervalSeconds, 60 * pow(2, Double(min(failures, 10) - 1)))
                try? await Task.sleep(for: .milliseconds(Int64(max(1, wait) * 1000)))
            }
        }
        await client.shutdown()
    }

    /// Gathers and sends one heartbeat; false when it did not get through (logged and counted).
    @discardableResult
    public func beat() async -> Bool {
        do {
            if figures.clockSkewSeconds == nil, let reading = try await client.timedHello(version: agentVersion) {
                record(reading)
            }
            let heartbeat = try await gather()
            if let reading = try await client.heartbeat(heartbeat) { record(reading) }
            state.withLock {
                $0.sent += 1
                $0.consecutiveFailures = 0
                $0.lastFailure = nil
            }
            logger.debug("heartbeat sent", metadata: ["backlog": "\(heartbeat.backlogCount)", "skew_s": "\(heartbeat.clockSkewSeconds.map { "\($0)" } ?? "-")"])
            return true
        } catch {
            let failures = state.withLock {
                $0.failed += 1
                $0.consecutiveFailures += 1
                $0.lastFailure = DeviceHeartbeat.RecentError(at: Date(), source: Self.name, message: "\(error)")
                return $0.consecutiveFailures
            }
            logger.warning("heartbeat not sent", metadata: ["error": "\(error)", "failures": "\(failures)"])
            return false
        }
    }

    private func record(_ reading: PlatformClockReading) {
        state.withLock { $0.clockSkewSeconds = reading.skewSeconds }
        onPlatformTime(reading)
    }

    /// The heartbeat as of now: backlog and disk from the store, errors from sync's run state,
    /// the store's recent problems and this service's own last failure.
    public func gather(now: Date = Date()) async throws -> DeviceHeartbeat {
        let store = store
        let (status, dailyIntake) = try await BlockingIO.run { (try store.status(now: now), try store.averageDailyIntakeBytes(now: now)) }
        let syncStatuses = (try? await BlockingIO.run { RunStateFiles(directory: store.directory).syncStatuses() }) ?? []
        let backlog = status.destinations.map { destination in
            DeviceHeartbeat.Backlog(
                destination: destination.destination, count: destination.queued + destination.sending, bytes: destination.backlogBytes,
                oldestAgeSeconds: destination.oldestUnsentAt.map { max(0, now.timeIntervalSince($0)) }
            )
        }
        var errors = status.recentProblems.map { DeviceHeartbeat.RecentError(at: $0.at, source: $0.kind, message: $0.message) }
        for sync in syncStatuses {
            if let message = sync.lastError { errors.append(.init(at: sync.lastErrorAt ?? sync.updatedAt, source: "sync-\(sync.destination)", message: message)) }
            if let problem = sync.clockProblem { errors.append(.init(at: sync.updatedAt, source: "clock", message: problem)) }
        }
        let figures = figures
        if let failure = figures.lastFailure { errors.append(failure) }
        return DeviceHeartbeat(
            sentAt: now, agentVersion: agentVersion, uptimeSeconds: max(0, now.timeIntervalSince(startedAt)),
            models: await models(), backlog: backlog, freeDiskBytes: Int64(clamping: status.storage.availableBytes),
            daysOfCapacity: CapacityEstimate.days(storage: status.storage, dailyIntakeBytes: dailyIntake),
            clockSkewSeconds: figures.clockSkewSeconds, errors: errors, os: await os()
        ).bounded()
    }
}
