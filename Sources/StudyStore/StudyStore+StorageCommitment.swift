import Foundation
import GRDB
import POSIXSupport

extension StudyStore {
    /// Records a storage commitment request durably (one committed transaction) before the
    /// N-ACTION is answered. The same Transaction UID again replaces its references and owes a
    /// new report. Until `firstAttemptAt` a new association is not tried (the modality's own
    /// association is expected to carry the report).
    public func recordCommitment(
        transactionUID: String, callingAETitle: String, references: [CommittedReference], firstAttemptAt: Date, now: Date = Date()
    ) throws(StoreError) {
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(references), as: UTF8.self)
        } catch {
            throw StoreError(.database, "encoding the storage commitment references: \(error)", underlying: error)
        }
        try write("recording storage commitment \(transactionUID)") { db in
            try db.execute(sql: """
                INSERT INTO storageCommitment (transactionUID, callingAETitle, "references", state, attempts, nextAttemptAt, receivedAt)
                VALUES (?, ?, ?, 'pending', 0, ?, ?)
                ON CONFLICT(transactionUID) DO UPDATE SET callingAETitle = excluded.callingAETitle, "references" = excluded."references",
                    state = 'pending', attempts = 0, nextAttemptAt = excluded.nextAttemptAt, lastError = NULL,
                    eventTypeID = NULL, receivedAt = excluded.receivedAt, reportedAt = NULL
                """, arguments: [transactionUID, callingAETitle, json, firstAttemptAt, now])
        }
    }

    /// What the store holds of each reference, in order. Durable means the instance's row is
    /// committed (so its blob was fsync'd and renamed first) and its blob file is still there.
    public func holdings(of references: [CommittedReference]) throws(StoreError) -> [InstanceHolding] {
        let directory = self.directory
        return try read("checking instances for storage commitment") { db in
            try references.map { reference in
                let rows = try Row.fetchAll(db, sql: "SELECT sopClassUID, blobState, blobPath FROM instance WHERE sopInstanceUID = ?", arguments: [reference.sopInstanceUID])
                guard !rows.isEmpty else { return .unknown }
                let sameClass = rows.filter { ($0["sopClassUID"] as String?) == reference.sopClassUID }
                guard !sameClass.isEmpty else {
                    return .classConflict(storedClass: rows.compactMap { $0["sopClassUID"] as String? }.first ?? "none recorded")
                }
                for row in sameClass where (row["blobState"] as String) == BlobState.present.rawValue {
                    let path: String = row["blobPath"]
                    if (try? Posix.fileStatus(directory.absolute(path)))?.isRegularFile == true { return .durable }
                }
                let state: String = sameClass[0]["blobState"]
                return .notHeld("the instance is \(state == BlobState.present.rawValue ? "recorded but its file is missing" : state)")
            }
        }
    }

    /// One pending commitment, or nil when it is unknown or already reported.
    public func pendingCommitment(transactionUID: String) throws(StoreError) -> PendingCommitment? {
        try read("reading storage commitment \(transactionUID)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM storageCommitment WHERE transactionUID = ? AND state = 'pending'", arguments: [transactionUID])
                .map(Self.pendingCommitment)
        }
    }

    /// Pending commitments whose next attempt is due, oldest first.
    public func dueCommitments(now: Date = Date(), limit: Int = 16) throws(StoreError) -> [PendingCommitment] {
        try read("listing due storage commitments") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM storageCommitment WHERE state = 'pending' AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?
                """, arguments: [now, limit]).map(Self.pendingCommitment)
        }
    }

    /// When the next pending commitment is due, if any is pending.
    public func nextCommitmentDueDate() throws(StoreError) -> Date? {
        try read("reading the next storage commitment date") { db in
            try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM storageCommitment WHERE state = 'pending'")
        }
    }

    /// The modality acknowledged the report.
    public func markCommitmentReported(transactionUID: String, eventTypeID: Int, now: Date = Date()) throws(StoreError) {
        try write("marking storage commitment \(transactionUID) reported") { db in
            try db.execute(sql: """
                UPDATE storageCommitment SET state = 'reported', reportedAt = ?, eventTypeID = ?, lastError = NULL
                WHERE transactionUID = ? AND state = 'pending'
                """, arguments: [now, eventTypeID, transactionUID])
        }
    }

    /// The report could not be delivered (or is to be tried on a new association now):
    /// `countsAsAttempt` adds one to the attempts the backoff grows with.
    public func rescheduleCommitment(transactionUID: String, error: String, nextAttemptAt: Date, countsAsAttempt: Bool) throws(StoreError) {
        try write("rescheduling storage commitment \(transactionUID)") { db in
            try db.execute(sql: """
                UPDATE storageCommitment SET nextAttemptAt = ?, lastError = ?, attempts = attempts + ?
                WHERE transactionUID = ? AND state = 'pending'
                """, arguments: [nextAttemptAt, error, countsAsAttempt ? 1 : 0, transactionUID])
        }
    }

    /// Commitments whose report is still owed (status and panel).
    public func pendingCommitmentCount() throws(StoreError) -> Int {
        try read("counting pending storage commitments") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM storageCommitment WHERE state = 'pending'") ?? 0
        }
    }

    private static func pendingCommitment(_ row: Row) throws -> PendingCommitment {
        let json: String = row["references"]
        return PendingCommitment(
            transactionUID: row["transactionUID"], callingAETitle: row["callingAETitle"],
            references: try JSONDecoder().decode([CommittedReference].self, from: Data(json.utf8)),
            attempts: row["attempts"], nextAttemptAt: row["nextAttemptAt"], lastError: row["lastError"], receivedAt: row["receivedAt"]
        )
    }
}
