import Foundation
import GRDB

extension HubStore {
    /// Added up in SQL (json_each over each document's findings), per device and pair: the
    /// console then needs a few thousand rows, not every document. Bodies are read as text, as
    /// for the post-market reports (SQLite 3.45 takes a BLOB as JSONB). Sums are total(), a
    /// float, so a lying box's huge count cannot make the statement fail on overflow.
    public func shadowAgreementTotals(from: String, to: String) async throws(HubError) -> [ShadowAgreementTotal] {
        try await blocking {
            try self.run("reading shadow agreements") { db in
                let rows = try Row.fetchAll(db, sql: """
                    WITH described AS (
                        SELECT id, device, receivedAt, document, json_extract(document, '$.task') AS task,
                            json_extract(document, '$.shadowModel') AS shadowModel, json_extract(document, '$.shadowVersion') AS shadowVersion,
                            json_extract(document, '$.activeModel') AS activeModel, json_extract(document, '$.activeVersion') AS activeVersion,
                            json_extract(document, '$.day') AS day, json_extract(document, '$.images') AS images
                        FROM (
                            SELECT rowid AS id, device, receivedAt, CAST(body AS TEXT) AS document FROM item
                            WHERE kind = 'shadow-agreement' AND receivedAt >= date(?, '-1 day')
                        )
                        WHERE json_valid(document)
                    ),
                    counted AS (
                        SELECT * FROM (
                            SELECT *, row_number() OVER (
                                PARTITION BY device, shadowModel, shadowVersion, activeModel, activeVersion, day ORDER BY receivedAt DESC, id DESC
                            ) AS latest
                            FROM described WHERE day BETWEEN ? AND ?
                        ) WHERE latest = 1
                    ),
                    perPair AS (
                        SELECT device, task, shadowModel, shadowVersion, activeModel, activeVersion, count(*) AS reports,
                            total(images) AS images, total(json_extract(document, '$.errors')) AS errors,
                            total(CASE WHEN images > 0 THEN json_extract(document, '$.latencyP50ms') * images END) AS latencyWeighted,
                            total(CASE WHEN images > 0 THEN images END) AS latencyWeight,
                            max(CASE WHEN images > 0 THEN json_extract(document, '$.latencyP95ms') END) AS latencyP95
                        FROM counted
                        GROUP BY device, task, shadowModel, shadowVersion, activeModel, activeVersion
                    ),
                    perFinding AS (
                        SELECT device, task, shadowModel, shadowVersion, activeModel, activeVersion,
                            json_extract(finding.value, '$.id') AS finding,
                            total(json_extract(finding.value, '$.bothFlagged')) AS bothFlagged,
                            total(json_extract(finding.value, '$.onlyActive')) AS onlyActive,
                            total(json_extract(finding.value, '$.onlyShadow')) AS onlyShadow,
                            total(json_extract(finding.value, '$.neither')) AS neither
                        FROM counted, json_each(counted.document, '$.findings') AS finding
                        GROUP BY device, task, shadowModel, shadowVersion, activeModel, activeVersion, finding
                    )
                    SELECT perPair.*, finding, bothFlagged, onlyActive, onlyShadow, neither
                    FROM perPair LEFT JOIN perFinding USING (device, task, shadowModel, shadowVersion, activeModel, activeVersion)
                    """, arguments: [from, from, to])
                return ShadowAgreementTotal.gather(rows.map { row in
                    let count = ShadowAgreementTotal.count
                    let pair = ShadowAgreementTotal.Pair(
                        task: row["task"], shadowModel: row["shadowModel"], shadowVersion: row["shadowVersion"],
                        activeModel: row["activeModel"], activeVersion: row["activeVersion"]
                    )
                    let total = ShadowAgreementTotal(
                        device: row["device"], pair: pair, reports: row["reports"], images: count(row["images"]), errors: count(row["errors"]),
                        latencyWeighted: row["latencyWeighted"], latencyWeight: row["latencyWeight"], latencyP95ms: row["latencyP95"], findings: [:]
                    )
                    let finding = (row["finding"] as String?).map { id in
                        (id, ShadowAgreementTotal.Counts(
                            bothFlagged: count(row["bothFlagged"]), onlyActive: count(row["onlyActive"]),
                            onlyShadow: count(row["onlyShadow"]), neither: count(row["neither"])
                        ))
                    }
                    return ShadowAgreementTotal.Part(total: total, finding: finding)
                })
            }
        }
    }

    public func shadowAgreementsReceived(since day: String) async throws(HubError) -> ShadowAgreementTotal.Received {
        try await blocking {
            try self.run("reading shadow agreements") { db in
                let row = try Row.fetchOne(db, sql: """
                    SELECT count(*) AS count, coalesce(max(rowid), 0) AS last FROM item
                    WHERE kind = 'shadow-agreement' AND receivedAt >= date(?, '-1 day')
                    """, arguments: [day])
                return ShadowAgreementTotal.Received(count: row?["count"] ?? 0, last: row?["last"] ?? 0)
            }
        }
    }
}
