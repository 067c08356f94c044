import Foundation
import Logging
import POSIXSupport
import PostgresNIO

/// The archive queue (`archive_job`, migration 3): rows are claimed with `FOR UPDATE SKIP
/// LOCKED` and held by a lease, not by an open transaction (see ``ArchiveWorker``).
extension PostgresHubStore {
    /// One row a worker claimed: it alone may confirm or fail it, by its token, until the lease
    /// (`next_attempt_at`) passes.
    public struct ArchiveClaim: Sendable {
        public let itemID: Int64
        public let token: String
        public let attempts: Int
        public let instance: ArchiveInstance
    }

    /// The advisory lock class of staged files (the second key is `hashtext(sha256)`): filing an
    /// instance and releasing its bytes take it, so a file is never deleted under a new item.
    static let stagedFileLock: Int32 = 0x666C_6966 // "flif"

    func lockStagedFile(_ connection: PostgresConnection, sha256: String) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.stagedFileLock), hashtext(\(sha256)))", logger: logger)
    }

    /// Claims the row due longest ago: waiting and due, or sending with its lease run out (a
    /// worker that died or lost its database). nil: nothing is due.
    public func claimArchiveJob(replica: String, lease: Duration) async throws(HubError) -> ArchiveClaim? {
        let token = UUID().uuidString
        let rows = try await statement("claiming an instance to archive", """
            UPDATE archive_job AS job
            SET state = 'sending', attempts = job.attempts + 1, claim = \(token), claimed_by = \(replica),
                next_attempt_at = now() + make_interval(secs => \(lease.inSeconds)), updated_at = now()
            FROM item
            WHERE item.id = job.item_id AND job.item_id = (
                SELECT item_id FROM archive_job
                WHERE state IN ('waiting', 'sending') AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            )
            RETURNING job.item_id, job.attempts, item.device, item.key, item.sha256, item.size, item.path
            """)
        guard let row = try await Self.collect(
            "claiming an instance to archive", rows.decode((Int64, Int, String, String, String, Int64, String?).self)
        ).first else { return nil }
        let instance = ArchiveInstance(
            device: row.2, key: row.3, sha256: row.4, size: row.5, path: settings.staging + "/" + (row.6 ?? "items/" + row.4)
        )
        return ArchiveClaim(itemID: row.0, token: token, attempts: row.1, instance: instance)
    }

    /// Records the archive's confirmation. false: the claim was lost (its lease ran out and
    /// another worker took the row), so this worker must not release the staged bytes.
    public func confirmArchived(_ claim: ArchiveClaim, target: String, reference: String) async throws(HubError) -> Bool {
        let rows = try await statement("confirming \(claim.instance.key) archived", """
            UPDATE archive_job
            SET state = 'archived', archived_at = now(), updated_at = now(), target = \(target),
                archive_reference = \(reference), last_error = NULL, claim = NULL
            WHERE item_id = \(claim.itemID) AND claim = \(claim.token) AND state = 'sending'
            RETURNING item_id
            """)
        return try await !Self.collect("confirming \(claim.instance.key) archived", rows.decode(Int64.self)).isEmpty
    }

    /// Records a failed attempt: due again after `retryAfter`, or failed for good (nil) until
    /// an operator's `archive retry`.
    public func recordArchiveFailure(_ claim: ArchiveClaim, target: String, error: String, retryAfter: Duration?) async throws(HubError) {
        _ = try await statement("recording the failure of \(claim.instance.key)", """
            UPDATE archive_job
            SET state = \(retryAfter == nil ? "failed" : "waiting"), last_error = \(error), target = \(target), claim = NULL,
                next_attempt_at = now() + make_interval(secs => \((retryAfter ?? .zero).inSeconds)), updated_at = now()
            WHERE item_id = \(claim.itemID) AND claim = \(claim.token) AND state = 'sending'
            """)
    }

    /// Deletes `items/<sha256>` when every item of those bytes is archived, and marks them
    /// released. Under the file's lock, so an upload of the same bytes that completes meanwhile
    /// either files its copy after the delete or is seen here as waiting.
    public func releaseStagedFile(sha256: String) async throws(HubError) {
        let path = itemsFolder + "/" + sha256
        let items = itemsFolder
        let logger = logger
        try await transaction("releasing the staged bytes \(sha256)") { connection in
            try await self.lockStagedFile(connection, sha256: sha256)
            let pending = try await connection.query("""
                SELECT count(*) FROM archive_job JOIN item ON item.id = archive_job.item_id
                WHERE item.sha256 = \(sha256) AND item.kind = 'instance' AND archive_job.state <> 'archived'
                """, logger: logger)
            guard try await Self.collect("releasing \(sha256)", pending.decode(Int64.self)).first == 0 else { return }
            do {
                try await BlockingIO.run {
                    do {
                        try Posix.unlink(path)
                    } catch let error as SystemCallError where error.code == ENOENT {
                        return // released before, by a worker that died before recording it
                    }
                    try Posix.fsyncDirectory(items)
                }
            } catch {
                throw HubError(.storage, "deleting the archived staged file \(path): \(error)")
            }
            try await connection.query("""
                UPDATE archive_job SET staged_released_at = now()
                FROM item
                WHERE item.id = archive_job.item_id AND item.sha256 = \(sha256)
                  AND archive_job.state = 'archived' AND archive_job.staged_released_at IS NULL
                """, logger: logger)
        }
    }

    /// Staged files of archived items not yet released (a worker died between the two steps,
    /// or the bytes were shared with an item archived later): released now where they can be.
    public func releaseArchivedStagedFiles(limit: Int = 100) async throws(HubError) {
        let rows = try await statement("finding archived staged files", """
            SELECT DISTINCT item.sha256 FROM archive_job JOIN item ON item.id = archive_job.item_id
            WHERE archive_job.state = 'archived' AND archive_job.staged_released_at IS NULL
            LIMIT \(limit)
            """)
        for sha256 in try await Self.collect("finding archived staged files", rows.decode(String.self)) {
            try await releaseStagedFile(sha256: sha256)
        }
    }

    /// What waits, what is being sent, what failed and why (`fluorobox-hub archive status`).
    public func archiveStatus(problemLimit: Int = 50) async throws(HubError) -> ArchiveStatus {
        let action = "reading the archive queue"
        var status = ArchiveStatus()
        let counts = try await statement(action, "SELECT state, count(*) FROM archive_job GROUP BY state")
        for (state, count) in try await Self.collect(action, counts.decode((String, Int64).self)) {
            status.counts[state] = Int(count)
        }
        let oldest = try await statement(action, """
            SELECT min(enqueued_at), (SELECT count(*) FROM archive_job WHERE state = 'archived' AND staged_released_at IS NULL)
            FROM archive_job WHERE state IN ('waiting', 'sending')
            """)
        if let row = try await Self.collect(action, oldest.decode((Date?, Int64).self)).first {
            status.oldestWaiting = row.0
            status.archivedNotReleased = Int(row.1)
        }
        let problems = try await statement(action, """
            SELECT item.device, item.key, job.state, job.attempts, job.last_error, job.next_attempt_at, job.enqueued_at
            FROM archive_job AS job JOIN item ON item.id = job.item_id
            WHERE job.last_error IS NOT NULL AND job.state <> 'archived'
            ORDER BY job.state = 'failed' DESC, job.enqueued_at
            LIMIT \(problemLimit)
            """)
        let rows = try await Self.collect(action, problems.decode((String, String, String, Int, String?, Date, Date).self))
        for (device, key, state, attempts, lastError, next, enqueued) in rows {
            status.problems.append(ArchiveStatus.Problem(
                device: device, key: key, state: state, attempts: attempts, lastError: lastError ?? "",
                nextAttemptAt: state == "failed" ? nil : next, enqueuedAt: enqueued
            ))
        }
        return status
    }

    /// Makes rows due now (the operator's `archive retry`): those of `key` (on every device, or
    /// on `device`) that are failed or waiting, or every failed one when `key` is nil. Returns
    /// how many.
    public func retryArchive(key: String?, device: String?) async throws(HubError) -> Int {
        let rows = try await statement("retrying archive rows", """
            UPDATE archive_job SET state = 'waiting', next_attempt_at = now(), updated_at = now()
            FROM item
            WHERE item.id = archive_job.item_id
              AND (CASE WHEN \(key)::text IS NULL THEN archive_job.state = 'failed'
                        ELSE archive_job.state IN ('failed', 'waiting') AND item.key = \(key)
                             AND (\(device)::text IS NULL OR item.device = \(device)) END)
            RETURNING archive_job.item_id
            """)
        return try await Self.collect("retrying archive rows", rows.decode(Int64.self)).count
    }
}
