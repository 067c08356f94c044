import Foundation
import GRDB

extension HubStore {
    /// The single-machine twin of PostgreSQL's migration 2 (device-enrolment).
    static func registerEnrolmentMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-device-enrolment") { db in
            try db.create(table: "enrolmentToken") { t in
                t.primaryKey("tokenSHA256", .text)
                t.column("device", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("createdBy", .text)
                t.column("expiresAt", .datetime).notNull()
                t.column("usedAt", .datetime)
                t.column("usedByDevice", .text)
                t.column("certificateSerial", .text)
            }
            try db.create(table: "deviceCertificate") { t in
                t.primaryKey("serial", .text)
                t.column("device", .text).notNull().indexed()
                t.column("issuedAt", .datetime).notNull()
                t.column("notAfter", .datetime).notNull()
                t.column("tokenSHA256", .text).notNull().references("enrolmentToken")
            }
            try db.create(table: "deviceCredential") { t in
                t.primaryKey("device", .text)
                t.column("certificateSerial", .text).references("deviceCertificate")
                t.column("certificateNotAfter", .datetime)
                t.column("enrolledAt", .datetime)
                t.column("revokedAt", .datetime)
                t.column("revokedReason", .text)
            }
        }
    }

    func blockingCreateEnrolmentToken(_ token: EnrolmentToken) throws(HubError) {
        try run("keeping an enrolment token") { db in
            let at = Date()
            try db.execute(
                sql: "INSERT INTO enrolmentToken (tokenSHA256, device, createdAt, createdBy, expiresAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [token.sha256, token.device, at, token.createdBy, token.expiresAt]
            )
            try Self.insertAudit(token.auditEntry(at: at), db)
        }
    }

    /// One write transaction: SQLite serialises writers, so of two uses the second reads the
    /// first's `usedAt`.
    func blockingEnrol(tokenSHA256: String, certificate: IssuedDeviceCertificate) throws(HubError) {
        let device = certificate.device
        try run("enrolling \(device)") { db in
            guard let token = try Row.fetchOne(
                db, sql: "SELECT device, expiresAt, usedAt, usedByDevice FROM enrolmentToken WHERE tokenSHA256 = ?", arguments: [tokenSHA256]
            ) else {
                throw EnrolmentRefusal.unknown
            }
            let revokedAt = try Date.fetchOne(db, sql: "SELECT revokedAt FROM deviceCredential WHERE device = ?", arguments: [device])
            let now = Date()
            if let refusal = EnrolmentRefusal.reason(
                device: device, tokenDevice: token["device"], expiresAt: token["expiresAt"], usedAt: token["usedAt"],
                usedBy: token["usedByDevice"], now: now, revoked: revokedAt != nil
            ) {
                throw refusal
            }
            try db.execute(
                sql: "UPDATE enrolmentToken SET usedAt = ?, usedByDevice = ?, certificateSerial = ? WHERE tokenSHA256 = ?",
                arguments: [now, device, certificate.serial, tokenSHA256]
            )
            try db.execute(
                sql: "INSERT INTO deviceCertificate (serial, device, issuedAt, notAfter, tokenSHA256) VALUES (?, ?, ?, ?, ?)",
                arguments: [certificate.serial, device, now, certificate.notAfter, tokenSHA256]
            )
            try db.execute(sql: """
                INSERT INTO deviceCredential (device, certificateSerial, certificateNotAfter, enrolledAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (device) DO UPDATE SET certificateSerial = excluded.certificateSerial,
                    certificateNotAfter = excluded.certificateNotAfter, enrolledAt = excluded.enrolledAt,
                    revokedAt = NULL, revokedReason = NULL
                """, arguments: [device, certificate.serial, certificate.notAfter, now])
        }
    }

    func blockingRevoke(device: String, reason: String?, by actor: String) throws(HubError) -> Bool {
        try run("revoking \(device)") { db in
            let at = Date()
            try db.execute(sql: """
                INSERT INTO deviceCredential (device, revokedAt, revokedReason) VALUES (?, ?, ?)
                ON CONFLICT (device) DO UPDATE SET revokedAt = excluded.revokedAt, revokedReason = excluded.revokedReason
                WHERE deviceCredential.revokedAt IS NULL
                """, arguments: [device, at, reason])
            let changed = db.changesCount > 0
            try Self.insertAudit(.deviceRevoked(device, reason: reason, changed: changed, by: actor, at: at), db)
            return changed
        }
    }

    func blockingCheckCredential(device: String, serial: String?) throws(HubError) {
        let credential: DeviceCredential?
        do {
            credential = try database.read { db in try Self.credential(db, device: device) }
        } catch {
            throw HubError(.storage, "checking \(device)'s credential: \(error)")
        }
        try credential?.check(device: device, serial: serial)
    }

    /// `device`'s credential row; nil for a device never enrolled (development plain HTTP).
    static func credential(_ db: Database, device: String) throws -> DeviceCredential? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT certificateSerial, revokedAt, revokedReason FROM deviceCredential WHERE device = ?", arguments: [device]
        ) else { return nil }
        return DeviceCredential(certificateSerial: row["certificateSerial"], revokedAt: row["revokedAt"], revokedReason: row["revokedReason"])
    }

    func blockingDevices() throws(HubError) -> [HubDeviceListing] {
        try run("listing devices") { db in
            var listings: [String: HubDeviceListing] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, version, lastSeenAt FROM device") {
                var listing = HubDeviceListing(id: row["id"])
                (listing.version, listing.lastSeenAt) = (row["version"], row["lastSeenAt"])
                listings[listing.id] = listing
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM deviceCredential") {
                let id: String = row["device"]
                var listing = listings[id] ?? HubDeviceListing(id: id)
                (listing.certificateSerial, listing.certificateNotAfter) = (row["certificateSerial"], row["certificateNotAfter"])
                (listing.enrolledAt, listing.revokedAt, listing.revokedReason) = (row["enrolledAt"], row["revokedAt"], row["revokedReason"])
                listings[id] = listing
            }
            return listings.values.sorted { $0.id < $1.id }
        }
    }
}
