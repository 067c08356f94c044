import ArgumentParser
import Foundation
import PlatformHub

/// `fluorobox-hub ca …`: the region's device CA.
struct CA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "The region's device CA, which signs enrolled boxes' client certificates.",
        subcommands: [Init.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new device CA (EC P-256 key, self-signed certificate) in a folder; refuses to replace one."
        )

        @Option(help: "Folder for \(DeviceCA.certificateFile) and \(DeviceCA.privateKeyFile) (mode 0600); pass it to serve --device-ca-dir.") var dir: String
        @Option(help: "Common Name of the CA certificate.") var name = "Fluorobox Region Device CA"
        @Option(help: "Validity of the CA certificate in days.") var days = 3650

        func run() async throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            let ca = try DeviceCA.create(directory: dir, name: name, validityDays: days)
            print("device CA \"\(name)\" in \(dir): \(DeviceCA.certificateFile) (give to nobody but the hub replicas: \(DeviceCA.privateKeyFile)), valid until \(ISO8601DateFormatter().string(from: ca.certificate.notValidAfter))")
        }
    }
}

/// `fluorobox-hub enrolment …`: one-time tokens that let a box get its certificate.
struct Enrolment: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrolment", abstract: "One-time enrolment tokens for boxes.", subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a one-time enrolment token and print it once; the hub keeps only its SHA-256."
        )

        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "Bind the token to this device id: it enrols no other.") var device: String?
        @Option(help: "Hours until the token expires.") var validHours: Double = 72

        func run() async throws {
            guard validHours > 0 else { throw ValidationError("--valid-hours must be positive") }
            if let device, !HubServer.isValidDeviceIDForCommandLine(device) {
                throw ValidationError("\"\(device)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            let (secret, token) = EnrolmentToken.generate(
                device: device, validFor: .seconds(validHours * 3600), createdBy: OperatorCommand.actor
            )
            try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in try await store.createEnrolmentToken(token) }
            print(secret)
            FileHandle.standardError.write(Data(
                "one-time token\(device.map { " for device \($0)" } ?? " for any device"), valid until \(ISO8601DateFormatter().string(from: token.expiresAt)); it is shown only now\n".utf8
            ))
        }
    }
}

/// `fluorobox-hub device …`: what the region knows of its devices, and revocation.
struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "List devices, show one's heartbeats; record its institution; assign or take back its OS bundle; revoke one.",
        subcommands: [ListDevices.self, Show.self, SetInstitution.self, AssignOS.self, UnassignOS.self, Revoke.self]
    )

    struct ListDevices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every device seen, enrolled or revoked.")

        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Flag(help: "One JSON array.") var json = false

        func run() async throws {
            let devices = try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in
                    let heartbeats = try await store.latestHeartbeats()
                    var devices = try await store.devices()
                    for index in devices.indices { devices[index].lastHeartbeat = heartbeats[devices[index].id] }
                    return devices
                }
            if json {
                print(String(decoding: try JSONEncoder.compact().encode(devices), as: UTF8.self))
                return
            }
            let format = ISO8601DateFormatter()
            for device in devices {
                let state = device.revokedAt.map { "revoked \(format.string(from: $0))\(device.revokedReason.map { " (\($0))" } ?? "")" }
                    ?? device.enrolledAt.map { "enrolled \(format.string(from: $0))" } ?? "not enrolled"
                let seen = "\(device.id)\t\(state)\tserial \(device.certificateSerial ?? "-")\tlast seen \(device.lastSeenAt.map(format.string(from:)) ?? "never")"
                print(([seen] + HeartbeatText.summary(device.lastHeartbeat, version: device.version)).joined(separator: "\t"))
            }
            print("\(devices.count) devices")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device: every replica refuses its next request (enrolling it again needs a token made for it)."
        )

        @Argument(help: "The device id.") var id: String
        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "Why, kept and shown to the device in its refusals.") var reason: String?
        @Option(help: "Who revokes it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor

        func run() async throws {
            guard HubServer.isValidDeviceIDForCommandLine(id) else {
                throw ValidationError("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            let id = id, reason = reason, by = by
            let changed = try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in try await store.revoke(device: id, reason: reason, by: by) }
            print(changed ? "device \(id) revoked" : "device \(id) was already revoked")
        }
    }
}
