import Foundation
import POSIXSupport

/// A one-time enrolment token: the operator hands the secret to whoever installs a box; the hub
/// keeps only its SHA-256, so a copy of the database enrols nobody.
public struct EnrolmentToken: Sendable, Hashable {
    public let sha256: String
    /// The only device the token may enrol; nil: any device id.
    public let device: String?
    public let expiresAt: Date
    /// Who made it (the operator's login name), for the record.
    public let createdBy: String?

    public init(sha256: String, device: String?, expiresAt: Date, createdBy: String?) {
        self.sha256 = sha256
        self.device = device
        self.expiresAt = expiresAt
        self.createdBy = createdBy
    }

    /// A new secret (`fbx-enrol-` and 32 random bytes in hex) and the record the hub keeps of it.
    public static func generate(device: String?, validFor: Duration, createdBy: String?, now: Date = Date()) -> (secret: String, token: EnrolmentToken) {
        var generator = SystemRandomNumberGenerator()
        let secret = "fbx-enrol-" + SHA256Hex.string((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return (secret, EnrolmentToken(
            sha256: digest(of: secret), device: device, expiresAt: now.addingTimeInterval(validFor / .seconds(1)), createdBy: createdBy
        ))
    }

    /// What the hub stores and looks a presented token up by.
    public static func digest(of secret: String) -> String {
        SHA256Hex.string(of: Array(secret.utf8))
    }

    /// The audit row of making it: who, for which device, until when, and the digest's start
    /// (never the secret).
    func auditEntry(at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(
            at: at, actor: createdBy ?? "unknown", action: ConsoleAuditEntry.Action.enrolmentTokenCreated, subject: device ?? "any device",
            detail: "valid until \(ISO8601DateFormatter().string(from: expiresAt)), sha256 \(sha256.prefix(12))…"
        )
    }
}

/// What `fluorobox-hub device list` prints per device: seen (hello/heartbeat), enrolled, revoked.
public struct HubDeviceListing: Codable, Sendable, Hashable {
    public var id: String
    public var version: String?
    public var lastSeenAt: Date?
    /// Lower-case hex serial of the certificate the device must present; nil: never enrolled
    /// through the hub (any certificate of the device CA naming it is accepted).
    public var certificateSerial: String?
    public var certificateNotAfter: Date?
    public var enrolledAt: Date?
    public var revokedAt: Date?
    public var revokedReason: String?
    /// The latest heartbeat (filled by `device list` from ``HubStoring/latestHeartbeats()``).
    public var lastHeartbeat: HubHeartbeat?

    public init(id: String) {
        self.id = id
    }
}

/// The credential row of one device as the per-request check reads it.
struct DeviceCredential: Sendable {
    var certificateSerial: String?
    var revokedAt: Date?
    var revokedReason: String?

    /// Throws 403 when the device is revoked or presents a certificate that is not its current
    /// one. `serial` nil: plain HTTP development mode, which has no certificate to compare.
    func check(device: String, serial: String?) throws(HubError) {
        if let revokedAt {
            throw HubError(.forbidden, "device \(device) was revoked at \(Self.format(revokedAt))\(revokedReason.map { ": \($0)" } ?? ""); the operator must enrol it again")
        }
        if let serial, let certificateSerial, serial != certificateSerial {
            throw HubError(.forbidden, "the client certificate (serial \(serial)) is not device \(device)'s current certificate (serial \(certificateSerial)): it was replaced by a later enrolment")
        }
    }

    static func format(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

/// Why a presented enrolment token does not enrol `device`, or nil when it does. The one rule
/// both stores apply, with the token's row as each read it under its lock.
enum EnrolmentRefusal {
    static func reason(
        device: String, tokenDevice: String?, expiresAt: Date, usedAt: Date?, usedBy: String?, now: Date, revoked: Bool
    ) -> HubError? {
        if let usedAt {
            return HubError(.forbidden, "this enrolment token was already used at \(DeviceCredential.format(usedAt))\(usedBy.map { " by device \($0)" } ?? ""); a token enrols once: ask the operator for a new one")
        }
        if expiresAt <= now {
            return HubError(.forbidden, "this enrolment token expired at \(DeviceCredential.format(expiresAt)); ask the operator for a new one")
        }
        if let tokenDevice, tokenDevice != device {
            return HubError(.forbidden, "this enrolment token is for device \(tokenDevice), the certificate request names \(device)")
        }
        if revoked, tokenDevice == nil {
            return HubError(.forbidden, "device \(device) is revoked; only a token made for it (enrolment create --device \(device)) enrols it again")
        }
        return nil
    }

    static let unknown = HubError(.forbidden, "unknown enrolment token (mistyped, or never made on this region's hub)")
}
