import Foundation
import GRDB

extension HubStore {
    /// GRDB keeps dates as UTC text ("2026-11-02 09:30:00.000"), so a day is the text's first
    /// ten characters and the period's end is the text of the day after. Bodies are read as
    /// text, as for the post-market reports (SQLite 3.45 takes a BLOB as JSONB).
    public func dailyIntake(from: String, to: String) async throws(HubError) -> [DailyIntake] {
        try await blocking {
            try self.run("reading the daily intake") { db in
                try Row.fetchAll(db, sql: """
                    SELECT day, device, sum(kind = 'instance') AS instances, sum(clinical) AS results,
                        sum(clinical AND EXISTS (
                            SELECT 1 FROM json_each(document, '$.findings') AS finding
                            WHERE json_extract(finding.value, '$.flaggedForReview') = 1
                        )) AS flagged,
                        sum(kind = 'result' AND NOT clinical) AS demonstration
                    FROM (
                        SELECT substr(receivedAt, 1, 10) AS day, device, kind, document,
                            kind = 'result' AND json_extract(document, '$.model.use') IS 'clinical' AS clinical
                        FROM (
                            SELECT receivedAt, device, kind, CASE WHEN kind = 'result' THEN CAST(body AS TEXT) END AS document FROM item
                            WHERE kind IN ('instance', 'result') AND receivedAt >= ? AND receivedAt < date(?, '+1 day')
                        )
                    )
                    GROUP BY day, device ORDER BY day, device
                    """, arguments: [from, to]).map {
                    DailyIntake(
                        day: $0["day"], device: $0["device"], instances: $0["instances"], results: $0["results"],
                        flaggedResults: $0["flagged"], demonstrationResults: $0["demonstration"]
                    )
                }
            }
        }
    }
}
