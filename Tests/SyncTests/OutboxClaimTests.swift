import Foundation
import FluoroboxTestSupport
import GRDB
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("Outbox claims and backoff")
struct OutboxClaimTests {
    @Test("claims go alert > result > image > telemetry, skip kinds sync does not know, and respect due times")
    func claimOrder() async throws {
        let box = TemporaryDirectory("sync-claim")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        _ = try await SyncFixture.fill(store, instances: 2, instanceBytes: 1000, results: 2, seed: 3)
        // A kind this sync does not know (one a later version of the box will add) and a telemetry-priority result.
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        let now = Date()
        try await queue.write { db in
            try db.execute(
                sql: "INSERT INTO outboxItem (destination, kind, idempotencyKey, priority, payloadBytes, state, attempts, nextAttemptAt, createdAt) VALUES ('platform', 'future-kind', 'future-kind:1', 3, 10, 'queued', 0, ?, ?)",
                arguments: [now, now]
            )
        }
        let kinds: Set<OutboxKind> = [.instance, .result]
        var order: [String] = []
        while let claim = try store.claimNextOutboxItem(destination: .platform, kinds: kinds) {
            #expect(claim.item.state == .sending)
            #expect(claim.item.attempts == 1)
            order.append(claim.item.kind.rawValue)
            switch claim.payload {
            case .blob(let blob):
                #expect(FileManager.default.fileExists(atPath: blob.path))
                #expect(blob.size == 1000)
            case .document(let body):
                #expect(String(decoding: body, as: UTF8.self).contains(#""schemaVersion":1"#))
            case .unavailable(let reason):
                Issue.record("unexpected: \(reason)")
            }
            try store.markOutboxItemForRetry(id: claim.item.id!, error: "test", nextAttemptAt: now.addingTimeInterval(3600))
        }
        #expect(order == ["result", "result", "instance", "instance"])
        // Nothing is due now; the feedback item is never claimed but still counted.
        #expect(try store.claimNextOutboxItem(destination: .platform, kinds: kinds) == nil)
        #expect(try store.queuedOutboxKinds(destination: .platform)["future-kind"] == 1)
        let backlog = try #require(try store.status().destinations.first { $0.destination == "platform" })
        #expect(backlog.unsentByKind == ["future-kind": 1, "result": 2, "instance": 2])
        #expect(backlog.lastError == "test")
        let due = try #require(try store.nextOutboxDueDate(destination: .platform, kinds: kinds))
        #expect(due > now.addingTimeInterval(3000))
        // The link came back: everything is due again, in the same order.
        #expect(try store.expediteOutbox(destination: .platform, now: Date()) == 4)
        let next = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: kinds))
        #expect(next.item.kind == .result)
        #expect(next.item.attempts == 2)
        #expect(next.item.lastError == "test")
    }

    @Test("sent and rejected are final; a claim left `sending` by a crash is re-queued by recovery")
    func settleAndRecover() async throws {
        let box = TemporaryDirectory("sync-settle")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: box.path)), logger: quietLogger)
        _ = try await SyncFixture.fill(store, instances: 3, instanceBytes: 500, results: 0, seed: 4)
        let kinds: Set<OutboxKind> = [.instance]
        let first = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: kinds))
        try store.markOutboxItemSent(id: first.item.id!)
        let second = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: kinds))
        try store.markOutboxItemRejected(id: second.item.id!, reason: "HTTP 400: bad")
        let third = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: kinds))
        #expect(try store.claimNextOutboxItem(destination: .platform, kinds: kinds) == nil)
        #expect(try SyncFixture.platformStates(store) == ["sent": 1, "rejected": 1, "sending": 1])
        _ = try store.recover()
        #expect(try SyncFixture.platformStates(store) == ["sent": 1, "rejected": 1, "queued": 1])
        let again = try #require(try store.claimNextOutboxItem(destination: .platform, kinds: kinds))
        #expect(again.item.idempotencyKey == third.item.idempotencyKey)
        let status = try store.status()
        let platform = try #require(status.destinations.first { $0.destination == "platform" })
        #expect(platform.rejected == 1 && platform.sent == 1)
        #expect(status.recentProblems.contains { $0.kind == "outbox.rejected" })
    }

    @Test("a clock before the software was written, or far from the platform's, is reported")
    func clockCheck() {
        #expect(ClockCheck.problem(now: Date(timeIntervalSince1970: 0))?.contains("1970-01-01") == true)
        #expect(ClockCheck.problem(now: Date()) == nil)
        let now = Date()
        #expect(ClockCheck.problem(now: now, platformTime: now.addingTimeInterval(60)) == nil)
        #expect(ClockCheck.problem(now: now, platformTime: now.addingTimeInterval(-7200))?.contains("7200 s") == true)
    }

    @Test("backoff doubles with jitter within [ceiling/2, ceiling] up to the cap, and never gives up")
    func backoff() {
        let policy = BackoffPolicy(initial: 1, maximum: 300)
        var generator = SeededGenerator(seed: 9)
        #expect(policy.ceiling(afterFailures: 1) == 1)
        #expect(policy.ceiling(afterFailures: 4) == 8)
        #expect(policy.ceiling(afterFailures: 10) == 300)
        #expect(policy.ceiling(afterFailures: 10_000) == 300)
        var distinct = Set<Double>()
        for failures in 1...40 {
            let delay = policy.delay(afterFailures: failures, using: &generator)
            let ceiling = policy.ceiling(afterFailures: failures)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
            distinct.insert(delay)
        }
        #expect(distinct.count > 30, "jitter spreads the delays")
    }
}
