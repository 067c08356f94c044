import ArgumentParser
import Foundation
import PlatformHub
import POSIXSupport

extension Device {
    /// `fluorobox-hub device show ID`: what a box last said about itself, and before.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A device's latest heartbeat in full (agent, models, backlog per destination, disk, clock skew, errors) and its earlier ones."
        )

        @Argument(help: "The device id.") var id: String
        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "How many heartbeats, newest first (the hub keeps \(HubHeartbeat.historyPerDevice) per device).") var last = 10
        @Flag(help: "One JSON array of the heartbeats, newest first.") var json = false

        func run() async throws {
            guard HubServer.isValidDeviceIDForCommandLine(id) else {
                throw ValidationError("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            guard (1...HubHeartbeat.historyPerDevice).contains(last) else {
                throw ValidationError("--last must be 1 to \(HubHeartbeat.historyPerDevice)")
            }
            let id = id, last = last
            let heartbeats = try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in try await store.heartbeats(device: id, limit: last) }
            if json {
                print(String(decoding: try JSONEncoder.compact(escapingSlashes: false).encode(heartbeats), as: UTF8.self))
                return
            }
            guard !heartbeats.isEmpty else {
                FileHandle.standardError.write(Data("no heartbeat from device \(id)\n".utf8))
                throw ExitCode.failure
            }
            print(HeartbeatText.show(heartbeats))
        }
    }
}
