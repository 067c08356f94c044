import Foundation
import GRDB

/// Outbox items of a `dimse` destination between C-STORE success and the receiver's storage
/// commitment: not sent (the receiver has not said it holds them), not due (asking again at once
/// would only repeat the question) until the wait is over, when they are sent again.
extension StudyStore {
    /// The item was stored by the receiver and its commitment requested in `transactionUID`;
    /// it is sent again at `resendAt` unless a report completes it first.
    public func markOutboxItemAwaitingCommitment(
        id: Int64, transactionUID: String, resendAt: Date, reason: String, now: Date = Date()
    ) throws(StoreError) {
        try write("marking outbox item \(id) awaiting storage commitment") { db in
            try db.execute(
                sql: """
                    UPDATE outboxItem SET state = 'queued', commitmentTransactionUID = ?, commitmentRequestedAt = ?,
                        nextAttemptAt = ?, lastError = ?
                    WHERE id = ?
                    """,
                arguments: [transactionUID, now, resendAt, reason, id]
            )
        }
    }

    /// A report on `transactionUID` arrived after the item was left waiting (on a later
    /// association): committed marks it sent; a failure makes it due at `retryAt`. Returns how
    /// many waiting items the report settled (0: none waits on it any more).
    @discardableResult
    public func settleOutboxCommitment(
        destination: Destination, transactionUID: String, committed: Bool, reason: String?, retryAt: Date, now: Date = Date()
    ) throws(StoreError) -> Int {
        try write("settling storage commitment \(transactionUID)") { db in
            if committed {
                try db.execute(
                    sql: """
                        UPDATE outboxItem SET state = 'sent', sentAt = ?, lastError = NULL, confirmation = 'storage-commitment',
                            commitmentTransactionUID = NULL, commitmentRequestedAt = NULL
                        WHERE destination = ? AND commitmentTransactionUID = ? AND state = 'queued'
                        """,
                    arguments: [now, destination, transactionUID]
                )
            } else {
                try db.execute(
                    sql: """
                        UPDATE outboxItem SET nextAttemptAt = ?, lastError = ?, commitmentTransactionUID = NULL, commitmentRequestedAt = NULL
                        WHERE destination = ? AND commitmentTransactionUID = ? AND state = 'queued'
                        """,
                    arguments: [retryAt, reason, destination, transactionUID]
                )
            }
            return db.changesCount
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
