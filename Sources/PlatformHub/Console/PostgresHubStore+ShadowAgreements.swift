import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Added up in SQL per device and pair: the console then reads a few thousand rows, not
    /// every document. Each body is parsed once (jsonb_to_record in a materialised CTE: an
    /// expression over the parsed body would be parsed again at each use), the day's latest
    /// document picked on a narrow sort of ids, and its findings expanded. A day's document is
    /// sent after the day, so received_at narrows by the (kind, received_at) index (a day early:
    /// a box whose clock runs ahead still counts). Counts and latencies are summed as numeric,
    /// which does not overflow (float8 arithmetic on a latency near its largest fails the
    /// statement), and held at bigint's and float8's largest: a lying box cannot fail the page.
    public func shadowAgreementTotals(from: String, to: String) async throws(HubError) -> [ShadowAgreementTotal] {
        let rows = try await statement("reading shadow agreements", """
            WITH received AS MATERIALIZED (
                SELECT item.id, item.device, item.received_at, document.*
                FROM item CROSS JOIN LATERAL jsonb_to_record(convert_from(item.body, 'UTF8')::jsonb) AS document(
                    task text, "shadowModel" text, "shadowVersion" text, "activeModel" text, "activeVersion" text, day text,
                    images numeric, errors numeric, "latencyP50ms" numeric, "latencyP95ms" numeric, findings jsonb
                )
                WHERE item.kind = 'shadow-agreement' AND item.received_at >= (\(from)::date - 1)::timestamp AT TIME ZONE 'UTC'
                  AND document.day BETWEEN \(from) AND \(to)
            ),
            latest AS (
                SELECT DISTINCT ON (device, "shadowModel", "shadowVersion", "activeModel", "activeVersion", day) id
                FROM received
                ORDER BY device, "shadowModel", "shadowVersion", "activeModel", "activeVersion", day, received_at DESC, id DESC
            ),
            counted AS MATERIALIZED (
                SELECT received.* FROM received JOIN latest USING (id)
            ),
            per_pair AS (
                SELECT device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion", count(*) AS reports,
                    sum(images) AS images, sum(errors) AS errors,
                    sum("latencyP50ms" * images) FILTER (WHERE images > 0) AS latency_weighted,
                    sum(images) FILTER (WHERE images > 0) AS latency_weight,
                    max("latencyP95ms") FILTER (WHERE images > 0) AS latency_p95
                FROM counted
                GROUP BY device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion"
            ),
            per_finding AS (
                SELECT device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion", finding.id AS finding,
                    sum(finding."bothFlagged") AS both_flagged, sum(finding."onlyActive") AS only_active,
                    sum(finding."onlyShadow") AS only_shadow, sum(finding.neither) AS neither
                FROM counted CROSS JOIN LATERAL jsonb_to_recordset(counted.findings) AS finding(
                    id text, "bothFlagged" numeric, "onlyActive" numeric, "onlyShadow" numeric, neither numeric
                )
                GROUP BY device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion", finding.id
            )
            SELECT device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion", reports,
                least(images, 9223372036854775807)::bigint, least(errors, 9223372036854775807)::bigint,
                least(coalesce(latency_weighted, 0), 1e300)::float8, least(coalesce(latency_weight, 0), 1e300)::float8,
                least(latency_p95, 1e300)::float8, finding,
                least(both_flagged, 9223372036854775807)::bigint, least(only_active, 9223372036854775807)::bigint,
                least(only_shadow, 9223372036854775807)::bigint, least(neither, 9223372036854775807)::bigint
            FROM per_pair LEFT JOIN per_finding USING (device, task, "shadowModel", "shadowVersion", "activeModel", "activeVersion")
            """)
        typealias Columns = (String, String, String, String, String, String, Int, Int, Int, Double, Double, Double?, String?, Int?, Int?, Int?, Int?)
        let decoded = try await Self.collect("reading shadow agreements", rows.decode(Columns.self))
        return ShadowAgreementTotal.gather(decoded.map { row in
            let pair = ShadowAgreementTotal.Pair(task: row.1, shadowModel: row.2, shadowVersion: row.3, activeModel: row.4, activeVersion: row.5)
            let total = ShadowAgreementTotal(
                device: row.0, pair: pair, reports: row.6, images: row.7, errors: row.8, latencyWeighted: row.9, latencyWeight: row.10,
                latencyP95ms: row.11, findings: [:]
            )
            let finding = row.12.map { id in
                (id, ShadowAgreementTotal.Counts(bothFlagged: row.13 ?? 0, onlyActive: row.14 ?? 0, onlyShadow: row.15 ?? 0, neither: row.16 ?? 0))
            }
            return ShadowAgreementTotal.Part(total: total, finding: finding)
        })
    }

    public func shadowAgreementsReceived(since day: String) async throws(HubError) -> ShadowAgreementTotal.Received {
        // The same window as the totals', by the (kind, received_at) index.
        let rows = try await statement("reading shadow agreements", """
            SELECT count(*), coalesce(max(id), 0) FROM item
            WHERE kind = 'shadow-agreement' AND received_at >= (\(day)::date - 1)::timestamp AT TIME ZONE 'UTC'
            """)
        let counted = try await Self.collect("reading shadow agreements", rows.decode((Int, Int64).self))
        return ShadowAgreementTotal.Received(count: counted.first?.0 ?? 0, last: counted.first?.1 ?? 0)
    }
}
