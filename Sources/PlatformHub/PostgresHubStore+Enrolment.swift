import Foundation
import Logging
import PostgresNIO

extension PostgresHubStore {
    /// Migration 2: one-time enrolment tokens (their SHA-256 only), the certificates the device
    /// CA issued, and each device's credential: its current certificate serial and revocation,
    /// read by primary key on every request.
    /// ``DeviceCredential/check(device:serial:)``'s rule in SQL, for the statements that check a
    /// device's credential in the same round trip as their write (document PUTs, heartbeats): true
    /// when the credential row is revoked, or `serial` (nil on development plain HTTP) is not its
    /// current certificate's. A plain expression over the row, so PostgreSQL inlines it (a function
    /// that read the table itself would run as a separate plan per call: 0.2 ms instead of 0.09
    /// per insert). The callers' `NOT EXISTS (… device_credential …)` leaves a device with no
    /// credential row (never enrolled) unrefused, as the Swift rule does.
    static let credentialRuleMigration = Migration(version: 7, name: "credential-rule", statements: [
        """
        CREATE FUNCTION credential_refused(revoked_at timestamptz, certificate_serial text, presented_serial text) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS $$
            SELECT revoked_at IS NOT NULL
                OR (presented_serial IS NOT NULL AND certificate_serial IS NOT NULL AND certificate_serial <> presented_serial)
        $$
        """,
    ])

    static let deviceEnrolmentMigration = Migration(version: 2, name: "device-enrolment", statements: [
        """
        CREATE TABLE enrolment_token (
            token_sha256 text PRIMARY KEY,
            device text,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text,
            expires_at timestamptz NOT NULL,
            used_at timestamptz,
            used_by_device text,
            certificate_serial text
        )
        """,
        """
        CREATE TABLE device_certificate (
            serial text PRIMARY KEY,
            device text NOT NULL,
            issued_at timestamptz NOT NULL DEFAULT now(),
            not_after timestamptz NOT NULL,
            token_sha256 text NOT NULL REFERENCES enrolment_token (token_sha256)
        )
        """,
        "CREATE INDEX device_certificate_device ON device_certificate (device, issued_at)",
        """
        CREATE TABLE device_credential (
            device text PRIMARY KEY,
            certificate_serial text REFERENCES device_certificate (serial),
            certificate_not_after timestamptz,
            enrolled_at timestamptz,
            revoked_at timestamptz,
            revoked_reason text
        )
        """,
    ])

    public func createEnrolmentToken(_ token: EnrolmentToken) async throws(HubError) {
        let logger = logger
        try await transaction("keeping an enrolment token") { connection in
            try await connection.query("""
                INSERT INTO enrolment_token (token_sha256, device, created_by, expires_at)
                VALUES (\(token.sha256), \(token.device), \(token.createdBy), \(token.expiresAt))
                """, logger: logger)
            try await Self.insertAudit(token.auditEntry(at: Date()), connection: connection, logger: logger)
        }
    }

    public func enrol(tokenSHA256: String, certificate: IssuedDeviceCertificate) async throws(HubError) {
        let logger = logger
        let device = certificate.device
        try await transaction("enrolling \(device)") { connection in
            // The row lock makes concurrent uses queue; READ COMMITTED re-reads the row once the
            // first commits, so the second sees used_at set and is refused.
            let tokens = try await connection.query("""
                SELECT device, expires_at, used_at, used_by_device, now() FROM enrolment_token
                WHERE token_sha256 = \(tokenSHA256) FOR UPDATE
                """, logger: logger)
            guard let (tokenDevice, expiresAt, usedAt, usedBy, now) = try await Self.collect(
                "reading the enrolment token", tokens.decode((String?, Date, Date?, String?, Date).self)
            ).first else {
                throw EnrolmentRefusal.unknown
            }
            let credentials = try await connection.query(
                "SELECT revoked_at FROM device_credential WHERE device = \(device) FOR UPDATE", logger: logger
            )
            let revoked = try await Self.collect("reading \(device)", credentials.decode(Date?.self)).first.flatMap { $0 } != nil
            if let refusal = EnrolmentRefusal.reason(
                device: device, tokenDevice: tokenDevice, expiresAt: expiresAt, usedAt: usedAt, usedBy: usedBy, now: now, revoked: revoked
            ) {
                throw refusal
            }
            try await connection.query("""
                UPDATE enrolment_token SET used_at = now(), used_by_device = \(device), certificate_serial = \(certificate.serial)
                WHERE token_sha256 = \(tokenSHA256)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO device_certificate (serial, device, not_after, token_sha256)
                VALUES (\(certificate.serial), \(device), \(certificate.notAfter), \(tokenSHA256))
                """, logger: logger)
            try await connection.query("""
                INSERT INTO device_credential (device, certificate_serial, certificate_not_after, enrolled_at)
                VALUES (\(device), \(certificate.serial), \(certificate.notAfter), now())
                ON CONFLICT (device) DO UPDATE SET certificate_serial = EXCLUDED.certificate_serial,
                    certificate_not_after = EXCLUDED.certificate_not_after, enrolled_at = EXCLUDED.enrolled_at,
                    revoked_at = NULL, revoked_reason = NULL
                """, logger: logger)
        }
    }

    public func revoke(device: String, reason: String?, by actor: String) async throws(HubError) -> Bool {
        let logger = logger
        return try await transaction("revoking \(device)") { connection in
            let rows = try await connection.query("""
                INSERT INTO device_credential (device, revoked_at, revoked_reason) VALUES (\(device), now(), \(reason))
                ON CONFLICT (device) DO UPDATE SET revoked_at = now(), revoked_reason = EXCLUDED.revoked_reason
                WHERE device_credential.revoked_at IS NULL
                RETURNING device
                """, logger: logger)
            let changed = try await !rows.collect().isEmpty
            try await Self.insertAudit(.deviceRevoked(device, reason: reason, changed: changed, by: actor, at: Date()), connection: connection, logger: logger)
            return changed
        }
    }

    public func checkCredential(device: String, serial: String?) async throws(HubError) {
        try await prepared("checking \(device)'s credential", CredentialStatement(device: device)).first?.check(device: device, serial: serial)
    }

    public func devices() async throws(HubError) -> [HubDeviceListing] {
        let rows = try await statement("listing devices", """
            SELECT COALESCE(d.id, c.device), d.version, d.last_seen_at, c.certificate_serial, c.certificate_not_after,
                   c.enrolled_at, c.revoked_at, c.revoked_reason
            FROM device d FULL OUTER JOIN device_credential c ON c.device = d.id
            ORDER BY 1
            """)
        return try await Self.collect(
            "listing devices", rows.decode((String, String?, Date?, String?, Date?, Date?, Date?, String?).self)
        ).map { row in
            var listing = HubDeviceListing(id: row.0)
            (listing.version, listing.lastSeenAt, listing.certificateSerial, listing.certificateNotAfter) = (row.1, row.2, row.3, row.4)
            (listing.enrolledAt, listing.revokedAt, listing.revokedReason) = (row.5, row.6, row.7)
            return listing
        }
    }
}
