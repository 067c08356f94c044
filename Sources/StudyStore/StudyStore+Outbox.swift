import Foundation
import GRDB

/// The outbox's state changes, used by sync: claim the next item, then mark it sent, rejected
/// or due again. Every change is one committed transaction, so a crash between any two leaves
/// a state recovery understands (`sending` goes back to `queued`).
extension StudyStore {
    /// Takes the most urgent due item of `destination` among `kinds` (alert > result > image >
    /// telemetry, oldest first within a priority) and marks it `sending`.
    public func claimNextOutboxItem(
        destination: Destination, kinds: Set<OutboxKind>, now: Date = Date()
    ) throws(StoreError) -> OutboxClaim? {
        guard !kinds.isEmpty else { return nil }
        let kindList = kinds.map(\.rawValue)
        let claimed = try write("claiming an outbox item for \(destination)") { db -> (OutboxItemRecord, PayloadSource)? in
            guard var item = try OutboxItemRecord
                .filter(OutboxItemRecord.Columns.destination == destination)
                .filter(OutboxItemRecord.Columns.state == OutboxState.queued)
                .filter(OutboxItemRecord.Columns.nextAttemptAt <= now)
                .filter(kindList.contains(Column("kind")))
                .order(OutboxItemRecord.Columns.priority.desc, OutboxItemRecord.Columns.id)
                .fetchOne(db)
            else { return nil }
            item.state = .sending
            item.attempts += 1
            try item.update(db)
            return (item, try payload(of: item, db))
        }
        guard let (item, source) = claimed else { return nil }
        switch source {
        case .ready(let payload):
            return OutboxClaim(item: item, payload: payload)
        case .feedback(let feedbackID):
            // A verdict's document is read after the claim's transaction (reads do not nest in writes).
            let document = try feedbackDocument(feedbackID: feedbackID)
            return OutboxClaim(item: item, payload: document.map { .document($0) } ?? .unavailable(reason: "feedback \(feedbackID) is not in the store"))
        }
    }

    /// Where a claimed item's payload comes from.
    private enum PayloadSource {
        case ready(OutboxPayload)
        /// A doctor's verdict, made into its document by ``feedbackDocument(feedbackID:)``.
        case feedback(Int64)
    }

    private func payload(of item: OutboxItemRecord, _ db: Database) throws -> PayloadSource {
        let extra = try Row.fetchOne(db, sql: "SELECT document, feedbackID FROM outboxItem WHERE id = ?", arguments: [item.id])
        if let document: Data = extra?["document"] {
            return .ready(.document(Array(document)))
        }
        if let feedbackID: Int64 = extra?["feedbackID"] {
            return .feedback(feedbackID)
        }
        return .ready(try storedPayload(of: item, db))
    }

    private func storedPayload(of item: OutboxItemRecord, _ db: Database) throws -> OutboxPayload {
        if let resultID = item.resultID {
            guard let result = try ResultRecord.fetchOne(db, key: resultID) else {
                return .unavailable(reason: "result \(resultID) is not in the store")
            }
            return .document(Array(result.report.utf8))
        }
        if let instanceID = item.instanceID {
            guard let instance = try InstanceRecord.fetchOne(db, key: instanceID) else {
                return .unavailable(reason: "instance \(instanceID) is not in the store")
            }
            guard instance.blobState == .present else {
                return .unavailable(reason: "the blob of instance \(instance.sopInstanceUID) is \(instance.blobState.rawValue)")
            }
            let study = try StudyRecord.fetchOne(db, key: instance.studyID)
            return .blob(OutboxBlob(
                path: directory.absolute(instance.blobPath), size: instance.size, sha256: instance.sha256,
                sopInstanceUID: instance.sopInstanceUID, studyInstanceUID: study?.studyInstanceUID, format: instance.format
            ))
        }
        return .unavailable(reason: "the item names neither an instance nor a result")
    }

    /// The receiver confirmed the item durably; `confirmation` says how, where a destination
    /// confirms in more than one way (a `dimse` destination: `storage-commitment` or `c-store`).
    public func markOutboxItemSent(id: Int64, confirmation: String? = nil, now: Date = Date()) throws(StoreError) {
        try write("marking outbox item \(id) sent") { db in
            try db.execute(
                sql: """
                    UPDATE outboxItem SET state = 'sent', sentAt = ?, lastError = NULL, confirmation = ?,
                        commitmentTransactionUID = NULL, commitmentRequestedAt = NULL
                    WHERE id = ?
                    """,
                arguments: [now, confirmation, id]
            )
        }
    }

    /// The receiver refused the item for good; it stays visible with the reason.
    public func markOutboxItemRejected(id: Int64, reason: String, now: Date = Date()) throws(StoreError) {
        try write("marking outbox item \(id) rejected") { db in
            try db.execute(
                sql: "UPDATE outboxItem SET state = 'rejected', rejectedReason = ?, lastError = ? WHERE id = ?",
                arguments: [reason, reason, id]
            )
            let item = try OutboxItemRecord.fetchOne(db, key: id)
            var event = AuditEventRecord(
                at: now, kind: "outbox.rejected", severity: .error, instanceID: item?.instanceID,
                message: "\(item?.destination.rawValue ?? "?") refused \(item?.kind.rawValue ?? "item") \(item?.idempotencyKey ?? String(id)): \(reason)"
            )
            try event.insert(db)
        }
    }

    /// Delivery failed for now: back to `queued`, due again at `nextAttemptAt`. Only an item still
    /// being sent: one a storage commitment report settled meanwhile keeps that outcome.
    public func markOutboxItemForRetry(id: Int64, error: String, nextAttemptAt: Date) throws(StoreError) {
        try write("re-queueing outbox item \(id)") { db in
            try db.execute(
                sql: "UPDATE outboxItem SET state = 'queued', lastError = ?, nextAttemptAt = ?, commitmentTransactionUID = NULL, commitmentRequestedAt = NULL WHERE id = ? AND state = 'sending'",
                arguments: [error, nextAttemptAt, id]
            )
        }
    }

    /// Makes every queued item of `destination` due now (the link came back). Returns how many.
    @discardableResult
    public func expediteOutbox(destination: Destination, now: Date = Date()) throws(StoreError) -> Int {
        try write("expediting the outbox of \(destination)") { db in
            try db.execute(
                // An item awaiting its storage commitment is not hurried: it is due again only
                // when the wait for the report is over.
                sql: "UPDATE outboxItem SET nextAttemptAt = ? WHERE destination = ? AND state = 'queued' AND nextAttemptAt > ? AND commitmentTransactionUID IS NULL",
                arguments: [now, destination, now]
            )
            return db.changesCount
        }
    }

    /// When the next queued item of `destination` among `kinds` falls due (nil: nothing queued).
    public func nextOutboxDueDate(destination: Destination, kinds: Set<OutboxKind>) throws(StoreError) -> Date? {
        let kindList = kinds.map(\.rawValue)
        return try read("reading the outbox of \(destination)") { db in
            try Date.fetchOne(
                db,
                OutboxItemRecord
                    .select(min(OutboxItemRecord.Columns.nextAttemptAt))
                    .filter(OutboxItemRecord.Columns.destination == destination)
                    .filter(OutboxItemRecord.Columns.state == OutboxState.queued)
                    .filter(kindList.contains(Column("kind")))
            )
        }
    }

    /// Queued items of `destination` by kind (status shows kinds sync does not deliver yet).
    public func queuedOutboxKinds(destination: Destination) throws(StoreError) -> [String: Int] {
        try read("counting the outbox of \(destination)") { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT kind, COUNT(*) AS n FROM outboxItem WHERE destination = ? AND state IN ('queued', 'sending') GROUP BY kind",
                arguments: [destination]
            ) {
                counts[row["kind"]] = row["n"]
            }
            return counts
        }
    }
}
