import Foundation
import PostgresNIO

extension PostgresHubStore {
    /// Migration 12: the people due for screening per institution (its ИНН or OID), as the
    /// operator imports them. The accession comes from a sequence of its own, so it is unique in
    /// the region whichever replica or command made it; re-importing a patient with the same due
    /// date keeps the row and its accession.
    static let screeningListMigration = Migration(version: 12, name: "screening-list", statements: [
        "CREATE SEQUENCE screening_accession",
        """
        CREATE TABLE screening_entry (
            accession_number text PRIMARY KEY
                DEFAULT 'S' || (\(ScreeningEntry.accessionBase) + nextval('screening_accession'))::text
                CONSTRAINT screening_entry_accession CHECK (length(accession_number) <= 16),
            institution text NOT NULL,
            patient_id text NOT NULL,
            patient_name text NOT NULL,
            birth_date text NOT NULL,
            sex text NOT NULL CONSTRAINT screening_entry_sex CHECK (sex IN ('M', 'F', 'O')),
            due_date text NOT NULL,
            note text,
            imported_by text NOT NULL,
            imported_at timestamptz NOT NULL,
            CONSTRAINT screening_entry_identity UNIQUE (institution, patient_id, due_date)
        )
        """,
    ])

    public func importScreeningList(
        _ entries: [ScreeningEntry], institution: String, file: String?, by actor: String, at: Date
    ) async throws(HubError) -> ScreeningImport {
        let logger = logger
        return try await transaction("importing the screening list of \(institution)") { connection in
            var stored: [ScreeningEntry] = []
            var added = 0
            for var entry in entries {
                // xmax is 0 on a row this statement inserted, not on one it updated.
                let rows = try await connection.query("""
                    INSERT INTO screening_entry (institution, patient_id, patient_name, birth_date, sex, due_date, note, imported_by, imported_at)
                    VALUES (\(institution), \(entry.patientID), \(entry.patientName), \(entry.birthDate), \(entry.sex), \(entry.dueDate),
                        \(entry.note), \(actor), \(at))
                    ON CONFLICT (institution, patient_id, due_date) DO UPDATE SET patient_name = EXCLUDED.patient_name,
                        birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex, note = EXCLUDED.note
                    RETURNING accession_number, xmax = 0
                    """, logger: logger)
                for try await (accession, inserted) in rows.decode((String, Bool).self) {
                    entry.accessionNumber = accession
                    if inserted { added += 1 }
                }
                entry.institution = institution
                stored.append(entry)
            }
            let outcome = ScreeningImport(entries: stored, added: added)
            try await Self.insertAudit(outcome.auditEntry(institution: institution, file: file, by: actor, at: at), connection: connection, logger: logger)
            return outcome
        }
    }

    public func screeningList(institution: String) async throws(HubError) -> [ScreeningEntry] {
        let action = "reading the screening list of \(institution)"
        let rows = try await statement(action, """
            SELECT \(unescaped: Self.screeningColumns) FROM screening_entry WHERE institution = \(institution)
            ORDER BY due_date, accession_number
            """)
        return try await Self.screeningEntries(action, rows)
    }

    public func screeningList(device: String) async throws(HubError) -> [ScreeningEntry] {
        // One statement: the device's institution and its entries as of one moment.
        let action = "reading \(device)'s screening list"
        let rows = try await statement(action, """
            SELECT \(unescaped: Self.screeningColumns) FROM screening_entry
            WHERE institution IN (SELECT tax_id FROM device_institution WHERE device = \(device) AND tax_id IS NOT NULL
                                  UNION SELECT oid FROM device_institution WHERE device = \(device) AND oid IS NOT NULL)
            ORDER BY due_date, accession_number
            """)
        return try await Self.screeningEntries(action, rows)
    }

    public func removeScreeningEntry(accessionNumber: String, by actor: String, at: Date) async throws(HubError) -> ScreeningEntry? {
        let logger = logger
        let action = "removing screening entry \(accessionNumber)"
        return try await transaction(action) { connection in
            let deleted = try await connection.query(
                "DELETE FROM screening_entry WHERE accession_number = \(accessionNumber) RETURNING \(unescaped: Self.screeningColumns)", logger: logger)
            guard let entry = try await Self.screeningEntries(action, deleted).first else { return nil }
            try await Self.insertAudit(entry.removalAuditEntry(by: actor, at: at), connection: connection, logger: logger)
            return entry
        }
    }

    private static let screeningColumns = "institution, accession_number, patient_id, patient_name, birth_date, sex, due_date, note"

    private static func screeningEntries<S: AsyncSequence>(_ action: String, _ rows: S) async throws(HubError) -> [ScreeningEntry] where S.Element == PostgresRow {
        var entries: [ScreeningEntry] = []
        for (institution, accession, patientID, name, birthDate, sex, dueDate, note) in try await collect(
            action, rows.decode((String, String, String, String, String, String, String, String?).self)
        ) {
            entries.append(ScreeningEntry(
                institution: institution, accessionNumber: accession, patientID: patientID, patientName: name, birthDate: birthDate,
                sex: sex, dueDate: dueDate, note: note))
        }
        return entries
    }
}
