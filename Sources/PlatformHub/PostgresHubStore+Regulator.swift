import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Migration 5: the institution each device works for, as the operator records it for the
    /// regulator report. A table of its own: a device may be named before it first calls.
    static let deviceInstitutionMigration = Migration(version: 5, name: "device-institution", statements: [
        """
        CREATE TABLE device_institution (
            device text PRIMARY KEY,
            region text NOT NULL,
            name text NOT NULL,
            tax_id text,
            oid text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT device_institution_id CHECK (tax_id IS NOT NULL OR oid IS NOT NULL)
        )
        """,
    ])

    public func setInstitution(_ institution: DeviceInstitution, device: String) async throws(HubError) {
        try institution.validate()
        _ = try await statement("recording \(device)'s institution", """
            INSERT INTO device_institution (device, region, name, tax_id, oid)
            VALUES (\(device), \(institution.region), \(institution.name), \(institution.taxID), \(institution.oid))
            ON CONFLICT (device) DO UPDATE SET region = EXCLUDED.region, name = EXCLUDED.name, tax_id = EXCLUDED.tax_id,
                oid = EXCLUDED.oid, updated_at = now()
            """)
    }

    public func institutions() async throws(HubError) -> [String: DeviceInstitution] {
        let rows = try await statement("reading institutions", "SELECT device, region, name, tax_id, oid FROM device_institution")
        var institutions: [String: DeviceInstitution] = [:]
        for (device, region, name, taxID, oid) in try await Self.collect(
            "reading institutions", rows.decode((String, String, String, String?, String?).self)
        ) {
            institutions[device] = DeviceInstitution(region: region, name: name, taxID: taxID, oid: oid)
        }
        return institutions
    }

    public func dailyReports(from: String, to: String) async throws(HubError) -> [RegulatorReport.DailyReport] {
        // A day's report arrives after the day: received_at narrows by the (kind, received_at) index.
        let rows = try await statement("reading post-market reports", """
            SELECT device, body FROM item
            WHERE kind = 'report' AND received_at >= \(from)::date
              AND convert_from(body, 'UTF8')::jsonb ->> 'day' BETWEEN \(from) AND \(to)
            """)
        return try await Self.collect("reading post-market reports", rows.decode((String, ByteBuffer).self)).map { device, body in
            RegulatorReport.DailyReport(device: device, body: Array(buffer: body))
        }
    }
}
