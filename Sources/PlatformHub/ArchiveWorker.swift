import Logging
import POSIXSupport
import ServiceLifecycle

/// Hands completed instances from the queue in PostgreSQL to the image archive; every replica
/// runs one (`serve --archive-stow` or `--archive-folder`), with a few concurrent senders.
///
/// A claim is a lease, not a row lock held through the send: the claim commits at once with
/// `state = 'sending'` and the lease's end, the send runs without a transaction, and the
/// confirmation names the claim's token. So a slow PACS pins no pooled connection and no
/// transaction (nothing that holds back VACUUM); a replica SIGKILLed mid-send leaves the row to
/// be taken again when the lease ends; and a replica that lost its database but not the PACS
/// cannot be overtaken while it still sends, because the send is cut at 90 % of the lease by
/// this replica's own clock, started before the claim. The price: a killed worker's row waits
/// out the lease (``Settings/lease``).
public struct ArchiveWorker: Service {
    public struct Settings: Sendable {
        /// Concurrent senders in this replica.
        public var senders = 2
        /// How long a claim is held; the send is cut at 90 % of it.
        public var lease: Duration = .seconds(300)
        /// How often an idle sender looks for due rows.
        public var poll: Duration = .seconds(2)
        /// Backoff after a failed attempt: `retryBase` × 2^(attempts − 1), at most `retryMax`,
        /// times a random factor in 0.5…1 so that rows failed together do not return together.
        public var retryBase: Duration = .seconds(5)
        public var retryMax: Duration = .seconds(600)
        /// How often archived rows whose staged bytes are still kept are swept.
        public var sweep: Duration = .seconds(60)
        /// Recorded in `claimed_by`.
        public var replica = "fluorobox-hub pid \(Posix.currentProcessID)"

        public init() {}
    }

    let store: PostgresHubStore
    let target: any ArchiveTarget
    let settings: Settings
    let logger: Logger

    public init(store: PostgresHubStore, target: any ArchiveTarget, settings: Settings, logger: Logger) {
        self.store = store
        self.target = target
        self.settings = settings
        self.logger = logger
    }

    /// Stops after the sends under way when the service group shuts down gracefully.
    public func run() async throws {
        // The server migrates before it listens, but this service starts beside it: claims wait
        // for a current schema (under the advisory lock a second prepare finds it done).
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await store.prepare()
                break
            } catch {
                logger.warning("archive queue waits for the database", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.poll) }
            }
        }
        await withDiscardingTaskGroup { group in
            for _ in 0..<max(1, settings.senders) {
                group.addTask { await self.senderLoop() }
            }
        }
        await target.shutdown()
    }

    func senderLoop() async {
        var lastSweep: ContinuousClock.Instant?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                if lastSweep.map({ ContinuousClock.now - $0 >= settings.sweep }) ?? true {
                    lastSweep = .now
                    try await store.releaseArchivedStagedFiles()
                }
                if try await sendOne() { continue }
            } catch {
                // The database is down or not migrated yet: the rows wait in it.
                logger.warning("archive queue unavailable", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.poll) }
        }
    }

    /// Claims one due row and sends it. false: nothing was due.
    func sendOne() async throws(HubError) -> Bool {
        let started = ContinuousClock.now
        guard let claim = try await store.claimArchiveJob(replica: settings.replica, lease: settings.lease) else { return false }
        let deadline = started + settings.lease * 0.9
        let metadata: Logger.Metadata = ["device": "\(claim.instance.device)", "key": "\(claim.instance.key)", "attempt": "\(claim.attempts)"]
        let reference: String
        do {
            reference = try await target.archive(claim.instance, deadline: deadline)
        } catch {
            let retryAfter = error.isPermanent ? nil : backoff(attempts: claim.attempts)
            logger.warning("archiving failed", metadata: metadata.merging([
                "error": "\(error)", "retry_in": "\(retryAfter.map { "\($0)" } ?? "never: waits for archive retry")",
            ]) { $1 })
            try await store.recordArchiveFailure(claim, target: target.name, error: error.description, retryAfter: retryAfter)
            return true
        }
        // The crash test's point: the archive holds the instance, the queue does not know yet.
        CrashPoint.reached("hub-archive-sent")
        guard try await store.confirmArchived(claim, target: target.name, reference: reference) else {
            logger.warning("archive claim lost before its confirmation (the lease ran out); another worker sends it", metadata: metadata)
            return true
        }
        logger.info("archived", metadata: metadata.merging(["reference": "\(reference)"]) { $1 })
        try await store.releaseStagedFile(sha256: claim.instance.sha256)
        return true
    }

    func backoff(attempts: Int) -> Duration {
        let exponential = settings.retryBase * (1 << min(max(attempts - 1, 0), 20))
        return min(exponential, settings.retryMax) * Double.random(in: 0.5...1)
    }
}
