import Crypto
import Logging
import POSIXSupport
import PostgresNIO

extension PostgresHubStore {
    /// One schema step. Once a migration has landed it is never edited: a change is a new one.
    /// Each is recorded with the SHA-256 of its statements, and a replica whose landed
    /// migrations read differently from the database's record refuses to start.
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]

        var checksum: String { SHA256Hex.string(of: Array(statements.joined(separator: ";\n").utf8)) }
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "devices-items-uploads", statements: [
            """
            CREATE TABLE device (
                id text PRIMARY KEY,
                version text,
                first_seen_at timestamptz NOT NULL DEFAULT now(),
                last_seen_at timestamptz NOT NULL
            )
            """,
            // One table for everything a device delivers, by kind: results, reports, feedback,
            // adverse events, model-update outcomes, heartbeats, instances. Keys live per device.
            """
            CREATE TABLE item (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                device text NOT NULL,
                key text NOT NULL,
                kind text NOT NULL,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                path text,
                body bytea,
                bytes_resent bigint NOT NULL DEFAULT 0,
                received_at timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT item_device_key UNIQUE (device, key),
                CONSTRAINT item_path_or_body CHECK ((path IS NULL) <> (body IS NULL))
            )
            """,
            "CREATE INDEX item_kind_received ON item (kind, received_at)",
            // An instance upload: what was announced, how many bytes are durably staged, and
            // its state. The row is locked (FOR UPDATE) while a chunk is written.
            """
            CREATE TABLE upload (
                device text NOT NULL,
                key text NOT NULL,
                length bigint NOT NULL,
                sha256 text NOT NULL,
                staged_bytes bigint NOT NULL DEFAULT 0,
                state text NOT NULL DEFAULT 'receiving' CONSTRAINT upload_state CHECK (state IN ('receiving', 'complete')),
                bytes_received bigint NOT NULL DEFAULT 0,
                started_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (device, key)
            )
            """,
            // Each accepted chunk: where it sits in the staged file and the SHA-256 of its bytes.
            """
            CREATE TABLE upload_part (
                device text NOT NULL,
                key text NOT NULL,
                start_offset bigint NOT NULL,
                length bigint NOT NULL,
                sha256 text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (device, key, start_offset),
                FOREIGN KEY (device, key) REFERENCES upload (device, key) ON DELETE CASCADE
            )
            """,
        ]),
        deviceEnrolmentMigration,
        // Versions land in any order (the runner applies whatever is missing): 3 landed on
        // some test databases before 2.
        Migration(version: 3, name: "archive-queue", statements: [
            // One row per completed instance to hand to the image archive, keyed by its item
            // (exactly once). `next_attempt_at` is when a waiting row is due, and for a row
            // being sent the end of its claim's lease: past it, another worker may take it.
            """
            CREATE TABLE archive_job (
                item_id bigint PRIMARY KEY REFERENCES item (id),
                state text NOT NULL DEFAULT 'waiting'
                    CONSTRAINT archive_job_state CHECK (state IN ('waiting', 'sending', 'archived', 'failed')),
                attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz NOT NULL DEFAULT now(),
                claim text,
                claimed_by text,
                last_error text,
                target text,
                archive_reference text,
                enqueued_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                archived_at timestamptz,
                staged_released_at timestamptz
            )
            """,
            "CREATE INDEX archive_job_due ON archive_job (next_attempt_at) WHERE state IN ('waiting', 'sending')",
            "CREATE INDEX archive_job_unreleased ON archive_job (item_id) WHERE state = 'archived' AND staged_released_at IS NULL",
            // Releasing staged bytes asks which other items share the file.
            "CREATE INDEX item_sha256 ON item (sha256) WHERE kind = 'instance'",
            // Instances completed before this migration wait too.
            "INSERT INTO archive_job (item_id, enqueued_at) SELECT id, received_at FROM item WHERE kind = 'instance'",
        ]),
        heartbeatsMigration,
        deviceInstitutionMigration,
        consoleMigration,
        credentialRuleMigration,
        osAssignmentMigration,
        modelAssignmentMigration,
        modelRolloutMigration,
        modelAssignmentRoleMigration,
        screeningListMigration,
    ]

    /// Applies what is missing, in one transaction under an advisory lock, so replicas that
    /// start together migrate once.
    /// `migrations` is the landed list but for tests of the runner itself.
    func migrate(_ migrations: [Migration] = PostgresHubStore.migrations) async throws(HubError) {
        let logger = logger
        try await transaction("migrating the hub's database") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS hub_schema_migration (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var landed: [Int: (name: String, checksum: String)] = [:]
            let rows = try await connection.query("SELECT version, name, checksum FROM hub_schema_migration", logger: logger)
            for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
                landed[version] = (name, checksum)
            }
            for migration in migrations {
                if let held = landed[migration.version] {
                    guard held.name == migration.name, held.checksum == migration.checksum else {
                        throw HubError(.storage, "migration \(migration.version) (\(held.name)) landed in the database with checksum \(held.checksum); this hub has \(migration.name) with \(migration.checksum). Landed migrations are never edited: is this an older or altered build?")
                    }
                    continue
                }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO hub_schema_migration (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger
                )
                logger.notice("database migrated", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
            // A rolling upgrade: newer replicas migrated first. Migrations only add, so an
            // older replica keeps working; say so in case it is not meant.
            if let newest = landed.keys.max(), newest > (migrations.last?.version ?? 0) {
                logger.warning("the database is at a newer migration than this hub knows", metadata: [
                    "database": "\(newest)", "hub": "\(migrations.last?.version ?? 0)",
                ])
            }
        }
    }

    /// The advisory lock key of migrations (any constant that nothing else uses).
    static let migrationLock: Int64 = 0x666C_756F_726F_6862 // "fluorohb"
}
