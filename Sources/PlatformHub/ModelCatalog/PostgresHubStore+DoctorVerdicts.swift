import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Summed by PostgreSQL as numeric, so a lying box's huge count caps at Int64's largest
    /// instead of failing the sum. A day's report arrives after the day: received_at narrows by
    /// the (kind, received_at) index, as for ``dailyReports(from:to:)``.
    public func doctorVerdicts(model: String, version: String, devices: [String], fromDay: String) async throws(HubError) -> (agree: Int, disagree: Int) {
        let action = "summing doctors' verdicts on \(model)@\(version)"
        let rows = try await statement(action, """
            SELECT LEAST(COALESCE(sum(GREATEST((b ->> 'doctorAgree')::numeric, 0)), 0), 9223372036854775807)::bigint,
                   LEAST(COALESCE(sum(GREATEST((b ->> 'doctorDisagree')::numeric, 0)), 0), 9223372036854775807)::bigint
            FROM (SELECT convert_from(body, 'UTF8')::jsonb AS b FROM item
                  WHERE kind = 'report' AND received_at >= \(fromDay)::date AND device = ANY(\(devices))) r
            WHERE b ->> 'model' = \(model) AND b ->> 'version' = \(version) AND b ->> 'day' >= \(fromDay)
            """)
        let sums = try await Self.collect(action, rows.decode((Int64, Int64).self))
        return (agree: Int(sums.first?.0 ?? 0), disagree: Int(sums.first?.1 ?? 0))
    }
}
