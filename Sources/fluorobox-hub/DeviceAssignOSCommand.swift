import ArgumentParser
import Foundation
import PlatformHub

extension Device {
    /// `fluorobox-hub device assign-os`: the OS bundle a device is to install.
    struct AssignOS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assign-os",
            abstract: "Assign an OS bundle of the hub's --os-bundle-dir to a device; the box downloads it, checks and installs it into its other slot, and boots it when the technician or its maintenance window chooses."
        )

        @Argument(help: "The device id (it may not have called yet).") var id: String
        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "The folder the hub serves OS bundles from (serve --os-bundle-dir).") var osBundleDir: String
        @Option(help: "The bundle's file name in that folder.") var bundle: String
        @Option(help: "The bundle's version (the box checks the signed one itself).") var version: String
        @Option(help: "Who assigns it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor

        func run() async throws {
            guard HubServer.isValidDeviceIDForCommandLine(id) else {
                throw ValidationError("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            let assignment: OSBundleAssignment
            do {
                assignment = try OSBundleAssignment.of(
                    file: bundle, in: osBundleDir, version: version, assignedBy: by)
            } catch {
                throw ValidationError(error.detail)
            }
            let id = id
            try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in try await store.assignOSBundle(assignment, device: id) }
            print("device \(id): OS bundle \(assignment.file) (\(assignment.version), \(assignment.size) bytes, SHA-256 \(assignment.sha256))")
        }
    }
}
