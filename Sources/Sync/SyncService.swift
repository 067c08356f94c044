import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore
import Synchronization

/// Drains one destination's outbox: most urgent item first, marked sent only after the receiver
/// confirmed it durably; on failure exponential backoff with jitter (no give-up, no TTL), cut
/// short by the reachability probe and the kernel's network changes when the link was the cause.
public final class SyncService: Service, Sendable {
    public let store: StudyStore
    public let destination: any SyncDestination
    public let settings: SyncSettings
    public let counters: SyncCounters
    let linkChanges: LinkChangeCounter?
    let runState: RunStateFiles
    let status: SyncStatusRecorder
    let onReady: @Sendable () async -> Void
    let logger: Logger

    public init(
        store: StudyStore, destination: any SyncDestination, settings: SyncSettings,
        counters: SyncCounters = SyncCounters(), linkChanges: LinkChangeCounter? = nil,
        onReady: @escaping @Sendable () async -> Void = {}, logger: Logger
    ) {
        self.store = store
        self.destination = destination
        self.settings = settings
        self.counters = counters
        self.linkChanges = linkChanges
        self.runState = RunStateFiles(directory: store.directory)
        self.status = SyncStatusRecorder(files: runState, destination: destination.destination.rawValue)
        self.onReady = onReady
        self.logger = logger
    }

    public func run() async throws {
        await onReady()
        logger.info("sync starting", metadata: ["destination": "\(destination.destination)", "kinds": "\(destination.kinds.map(\.rawValue).sorted())"])
        await cancelWhenGracefulShutdown {
            guard await self.prepareDestination() else { return }
            await self.checkClock()
            await self.drain()
        }
        await destination.shutdown()
        linkChanges?.stop()
        status.update { $0.phase = .stopped }
        logger.info("sync stopped", metadata: ["destination": "\(destination.destination)"])
    }

    func drain() async {
        var consecutiveFailures = 0
        let name = destination.destination
        while !Task.isCancelled {
            // Present while sync to every destination is paused (`fluorobox sync pause`).
            if runState.isFlagSet(.syncPaused) {
                status.update { $0.phase = .paused }
                if !(await sleep(seconds: settings.idlePollSeconds)) { return }
                continue
            }
            let claim: OutboxClaim?
            do {
                claim = try store.claimNextOutboxItem(destination: name, kinds: destination.kinds)
            } catch {
                logger.error("cannot read the outbox", metadata: ["destination": "\(name)", "error": "\(error)"])
                if !(await sleep(seconds: 5)) { return }
                continue
            }
            guard let claim else {
                status.update { $0.phase = .idle }
                if !(await sleep(seconds: settings.idlePollSeconds)) { return }
                continue
            }
            status.update {
                $0.phase = .sending
                $0.currentKey = claim.item.idempotencyKey
            }
            let id = claim.item.id!
            do {
                let outcome = try await destination.deliver(claim)
                switch outcome {
                case .delivered, .committed:
                    let fresh: Bool
                    if case .delivered(let isFresh) = outcome {
                        fresh = isFresh
                        try store.markOutboxItemSent(id: id, confirmation: destination.confirmation)
                    } else {
                        fresh = true
                        try store.markOutboxItemSent(id: id, confirmation: Self.storageCommitment)
                    }
                    consecutiveFailures = 0
                    counters.update {
                        $0.itemsDelivered += 1
                        if case .blob(let blob) = claim.payload { $0.payloadBytesDelivered += blob.size }
                    }
                    status.update {
                        $0.lastSuccessAt = Date()
                        $0.lastError = nil
                        $0.consecutiveFailures = 0
                        $0.currentKey = nil
                    }
                    logger.debug("delivered", metadata: ["key": "\(claim.item.idempotencyKey)", "fresh": "\(fresh)"])
                case .awaitingCommitment(let transactionUID, let reason):
                    // Stored by the receiver, not yet committed: not sent, and not a failure of
                    // the link (the next item goes at once).
                    try store.markOutboxItemAwaitingCommitment(
                        id: id, transactionUID: transactionUID,
                        resendAt: Date().addingTimeInterval(settings.dimse.commitmentTimeoutSeconds), reason: reason
                    )
                    consecutiveFailures = 0
                    status.update {
                        $0.lastSuccessAt = Date()
                        $0.consecutiveFailures = 0
                        $0.currentKey = nil
                    }
                    logger.notice("stored; awaiting storage commitment", metadata: [
                        "destination": "\(name)", "key": "\(claim.item.idempotencyKey)", "transaction_uid": "\(transactionUID)", "reason": "\(reason)",
                    ])
                case .refused(let reason):
                    try store.markOutboxItemRejected(id: id, reason: reason)
                    counters.update { $0.itemsRejected += 1 }
                    logger.error("item refused", metadata: ["destination": "\(name)", "key": "\(claim.item.idempotencyKey)", "reason": "\(reason)"])
                }
            } catch let error as SyncError {
                consecutiveFailures += 1
                counters.update { $0.failures += 1 }
                let itemDelay = settings.backoff.delay(afterFailures: claim.item.attempts)
                try? store.markOutboxItemForRetry(id: id, error: error.description, nextAttemptAt: Date().addingTimeInterval(Task.isCancelled ? 0 : itemDelay))
                if Task.isCancelled { return }
                let wait = settings.backoff.delay(afterFailures: consecutiveFailures)
                status.update {
                    $0.phase = .backoff
                    $0.lastError = error.description
                    $0.lastErrorAt = Date()
                    $0.consecutiveFailures = consecutiveFailures
                    $0.currentKey = nil
                }
                logger.warning(
                    "delivery failed; backing off",
                    metadata: [
                        "destination": "\(name)", "key": "\(claim.item.idempotencyKey)", "error": "\(error)",
                        "backoff_s": "\(String(format: "%.1f", wait))", "failures": "\(consecutiveFailures)",
                    ]
                )
                let cutShort = await backOff(seconds: wait, linkCause: error.code == .unreachable)
                if cutShort {
                    // The link is back: everything waiting on its own backoff goes now.
                    let expedited = (try? store.expediteOutbox(destination: name)) ?? 0
                    consecutiveFailures = 0
                    logger.notice("link back; sending", metadata: ["destination": "\(name)", "expedited": "\(expedited)"])
                }
            } catch {
                // The store failed to record the outcome: the item stays `sending` until
                // recovery, or is retried; the receiver deduplicates by key either way.
                logger.error("cannot record a delivery", metadata: ["key": "\(claim.item.idempotencyKey)", "error": "\(error)"])
                if !(await sleep(seconds: 5)) { return }
            }
        }
    }

    /// Runs the destination's first step (enrolment) until it works, with backoff and the
    /// reason logged each time; false when the service stopped first. Never throws: a box that
    /// cannot enrol yet keeps its outbox and keeps trying.
    func prepareDestination() async -> Bool {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await destination.prepare()
                if failures > 0 { status.update { $0.lastError = nil; $0.consecutiveFailures = 0 } }
                return true
            } catch {
                failures += 1
                let wait = settings.backoff.delay(afterFailures: failures)
                status.update {
                    $0.phase = .enrolling
                    $0.lastError = error.description
                    $0.lastErrorAt = Date()
                    $0.consecutiveFailures = failures
                }
                logger.warning("cannot enrol with the platform yet; retrying", metadata: [
                    "destination": "\(destination.destination)", "error": "\(error)", "backoff_s": "\(String(format: "%.1f", wait))",
                ])
                if !(await sleep(seconds: wait)) { return false }
            }
        }
        return false
    }

    /// Logs and records an implausible clock (checked at start, against the receiver when it
    /// answers).
    func checkClock() async {
        checkClock(platformTime: await destination.receiverTime(), now: Date())
    }

    /// The same check with a platform clock read elsewhere (the heartbeat's reply).
    public func checkClock(platformTime: Date?, now: Date) {
        let problem = ClockCheck.problem(now: now, platformTime: platformTime)
        status.update { $0.clockProblem = problem }
        if let problem {
            logger.error("implausible clock", metadata: ["destination": "\(destination.destination)", "problem": "\(problem)"])
        }
    }

    /// Waits up to `seconds`; when the link was the cause, probes every probe interval and
    /// watches network changes. Returns true when the wait was cut short because the link is back.
    func backOff(seconds: Double, linkCause: Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        guard linkCause else {
            _ = await sleep(seconds: seconds)
            return false
        }
        var seenChanges = linkChanges?.value ?? 0
        while ContinuousClock.now < deadline {
            let step = min(settings.probeIntervalSeconds, (deadline - ContinuousClock.now).inSeconds)
            // Sleep in short slices so a network change is noticed within a quarter second.
            var slept = 0.0
            while slept < step {
                let slice = min(0.25, step - slept)
                if !(await sleep(seconds: slice)) { return false }
                slept += slice
                if let linkChanges, linkChanges.value != seenChanges {
                    seenChanges = linkChanges.value
                    counters.update { $0.linkEvents += 1 }
                    break
                }
            }
            if Task.isCancelled { return false }
            if await destination.probe() { return true }
        }
        return false
    }

    /// How an item confirmed by the receiver's storage commitment is recorded.
    public static let storageCommitment = "storage-commitment"

    /// False when cancelled.
    func sleep(seconds: Double) async -> Bool {
        do {
            try await Task.sleep(for: .milliseconds(Int64(max(0, seconds) * 1000)))
            return true
        } catch {
            return false
        }
    }
}
