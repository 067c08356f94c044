import Foundation
import PostgresNIO

extension PostgresHubStore {
    public func dailyIntake(from: String, to: String) async throws(HubError) -> [DailyIntake] {
        // Days are UTC days whatever the server's time zone; the (kind, received_at) index narrows.
        let rows = try await statement("reading the daily intake", """
            SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, device,
                count(*) FILTER (WHERE kind = 'instance'),
                count(*) FILTER (WHERE clinical),
                count(*) FILTER (WHERE clinical AND jsonb_path_exists(document, '$.findings[*] ? (@.flaggedForReview == true)')),
                count(*) FILTER (WHERE kind = 'result' AND NOT clinical)
            FROM (
                SELECT received_at, device, kind, document,
                    kind = 'result' AND coalesce(document -> 'model' ->> 'use' = 'clinical', false) AS clinical
                FROM (
                    SELECT received_at, device, kind, CASE WHEN kind = 'result' THEN convert_from(body, 'UTF8')::jsonb END AS document
                    FROM item
                    WHERE kind IN ('instance', 'result')
                      AND received_at >= \(from)::date::timestamp AT TIME ZONE 'UTC'
                      AND received_at < (\(to)::date + 1)::timestamp AT TIME ZONE 'UTC'
                ) received
            ) classified
            GROUP BY 1, 2 ORDER BY 1, 2
            """)
        return try await Self.collect("reading the daily intake", rows.decode((String, String, Int, Int, Int, Int).self)).map {
            DailyIntake(day: $0.0, device: $0.1, instances: $0.2, results: $0.3, flaggedResults: $0.4, demonstrationResults: $0.5)
        }
    }
}
