import Foundation
import GRDB

/// Outbox items of a `dimse` destination between C-STORE success and the receiver's storage
/// commitment: not sent (the receiver has not said it holds them), not due (asking again at once
/// would only repeat the question) until the wait is over, when they are sent again.
extension StudyStore {
    /// The receiver stored the item and is about to be asked for its commitment in
    /// `transactionUID`: noted before the N-ACTION, so a report the receiver sends at once on an
    /// association of its own finds the item while it is still being sent.
    public func noteOutboxCommitmentRequested(id: Int64, transactionUID: String, now: Date = Date()) throws(StoreError) {
        try write("noting the storage commitment request of outbox item \(id)") { db in
            try db.execute(
                sql: "UPDATE outboxItem SET commitmentTransactionUID = ?, commitmentRequestedAt = ? WHERE id = ? AND state = 'sending'",
                arguments: [transactionUID, now, id]
            )
        }
    }

    /// Whether the item is still being sent: false once a report on the receiver's own
    /// association settled it (or it is gone).
    public func isOutboxItemSending(id: Int64) throws(StoreError) -> Bool {
        try read("reading the state of outbox item \(id)") { db in
            try String.fetchOne(db, sql: "SELECT state FROM outboxItem WHERE id = ?", arguments: [id]) == "sending"
        }
    }

    /// The item was stored by the receiver and its commitment requested in `transactionUID`;
    /// it is sent again at `resendAt` unless a report completes it first. An item a report on
    /// another association settled meanwhile (no longer `sending`) is left as it is.
    public func markOutboxItemAwaitingCommitment(
        id: Int64, transactionUID: String, resendAt: Date, reason: String, now: Date = Date()
    ) throws(StoreError) {
        try write("marking outbox item \(id) awaiting storage commitment") { db in
            try db.execute(
                sql: """
                    UPDATE outboxItem SET state = 'queued', commitmentTransactionUID = ?, commitmentRequestedAt = COALESCE(commitmentRequestedAt, ?),
                        nextAttemptAt = ?, lastError = ?
                    WHERE id = ? AND state = 'sending'
                    """,
                arguments: [transactionUID, now, resendAt, reason, id]
            )
        }
    }

    /// A report on `transactionUID` arrived on an association of the receiver's own, while the
    /// items waited for it or were still being sent: those whose SOP Instance UID it lists as
    /// committed are sent (`storage-commitment`); the others are due again at `retryAt` with
    /// `reason`. Returns how many items the report settled (0: none waits on it).
    @discardableResult
    public func settleOutboxCommitment(
        destination: Destination, transactionUID: String, committedSOPInstanceUIDs: Set<String>, reason: String,
        retryAt: Date, now: Date = Date()
    ) throws(StoreError) -> Int {
        try write("settling storage commitment \(transactionUID)") { db in
            let waiting = "destination = ? AND commitmentTransactionUID = ? AND state IN ('queued', 'sending')"
            let committed = Array(committedSOPInstanceUIDs)
            var settled = 0
            if !committed.isEmpty {
                try db.execute(
                    sql: """
                        UPDATE outboxItem SET state = 'sent', sentAt = ?, lastError = NULL, confirmation = 'storage-commitment',
                            commitmentTransactionUID = NULL, commitmentRequestedAt = NULL
                        WHERE \(waiting)
                            AND instanceID IN (SELECT id FROM instance WHERE sopInstanceUID IN (\(databaseQuestionMarks(count: committed.count))))
                        """,
                    arguments: StatementArguments([now, destination, transactionUID] + committed.map { $0 as (any DatabaseValueConvertible)? })
                )
                settled += db.changesCount
            }
            try db.execute(
                sql: """
                    UPDATE outboxItem SET state = 'queued', nextAttemptAt = ?, lastError = ?, commitmentTransactionUID = NULL, commitmentRequestedAt = NULL
                    WHERE \(waiting)
                    """,
                arguments: [retryAt, reason, destination, transactionUID]
            )
            return settled + db.changesCount
        }
    }

    /// Items of `destination` whose storage commitment is awaited.
    public func outboxItemsAwaitingCommitment(destination: Destination) throws(StoreError) -> Int {
        try read("counting items awaiting storage commitment at \(destination)") { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM outboxItem WHERE destination = ? AND state = 'queued' AND commitmentTransactionUID IS NOT NULL",
                arguments: [destination]
            ) ?? 0
        }
    }
}
