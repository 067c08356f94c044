import Foundation
import GRDB

extension StudyStore {
    /// Records a doctor's verdict and queues it for the platform in the same transaction.
    @discardableResult
    public func recordFeedback(
        studyInstanceUID: String, resultID: Int64?, verdict: FeedbackRecord.Verdict, comment: String?, role: String,
        now: Date = Date()
    ) throws(StoreError) -> FeedbackRecord {
        try write("recording feedback") { db in
            guard let studyID = try Int64.fetchOne(db, sql: "SELECT id FROM study WHERE studyInstanceUID = ?", arguments: [studyInstanceUID]) else {
                throw StoreError(.notFound, "no study \(studyInstanceUID)")
            }
            if let resultID {
                let belongs = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM result JOIN instance ON instance.id = result.instanceID
                    WHERE result.id = ? AND instance.studyID = ?
                    """, arguments: [resultID, studyID]) ?? 0
                guard belongs > 0 else { throw StoreError(.notFound, "result \(resultID) is not part of study \(studyInstanceUID)") }
            }
            let trimmed = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
            var record = FeedbackRecord(
                studyID: studyID, resultID: resultID, verdict: verdict,
                comment: (trimmed?.isEmpty ?? true) ? nil : trimmed, role: role, createdAt: now
            )
            try record.insert(db)
            let payload = (record.comment?.utf8.count ?? 0) + 256
            try db.execute(sql: """
                INSERT INTO outboxItem (destination, kind, idempotencyKey, priority, payloadBytes, state, attempts,
                                        nextAttemptAt, createdAt, feedbackID)
                VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)
                """, arguments: [
                    Destination.platform, OutboxKind.feedback, "feedback:\(studyInstanceUID):\(record.id!)",
                    OutboxPriority.result, payload, now, now, record.id!,
                ])
            var event = AuditEventRecord(
                kind: "feedback.recorded", severity: .info,
                message: "doctor feedback \(verdict.rawValue) recorded",
                details: ["feedbackID": String(record.id!), "resultID": resultID.map(String.init) ?? ""]
            )
            try event.insert(db)
            return record
        }
    }

    /// The verdicts recorded for a study, oldest first.
    public func feedback(studyInstanceUID: String) throws(StoreError) -> [FeedbackRecord] {
        try read("reading feedback") { db in
            try FeedbackRecord.fetchAll(db, sql: """
                SELECT feedback.* FROM feedback JOIN study ON study.id = feedback.studyID
                WHERE study.studyInstanceUID = ? ORDER BY feedback.id
                """, arguments: [studyInstanceUID])
        }
    }

    /// The JSON the platform receives for a verdict (docs/platform-api.yaml, /v1/feedback):
    /// the result's idempotency key, the verdict, the comment, when and by which role. For the
    /// sync worker's outbox payload (items of kind `feedback` carry `feedbackID`).
    public func feedbackDocument(feedbackID: Int64) throws(StoreError) -> [UInt8]? {
        try read("reading feedback \(feedbackID)") { db in
            guard let feedback = try FeedbackRecord.fetchOne(db, key: feedbackID),
                  let study = try StudyRecord.fetchOne(db, key: feedback.studyID) else { return nil }
            var document: [String: String] = [
                "verdict": feedback.verdict.rawValue, "role": feedback.role,
                "studyInstanceUID": study.studyInstanceUID,
                "recordedAt": ISO8601DateFormatter().string(from: feedback.createdAt),
            ]
            if let comment = feedback.comment { document["comment"] = comment }
            if let resultID = feedback.resultID, let result = try ResultRecord.fetchOne(db, key: resultID) {
                let version = try String.fetchOne(db, sql: "SELECT modelVersion FROM analysis WHERE id = ?", arguments: [result.analysisID]) ?? "unknown"
                document["resultKey"] = OutboxItemRecord.resultKey(studyInstanceUID: study.studyInstanceUID, modelVersion: version, resultHash: result.resultHash)
            }
            return Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
        }
    }
}
