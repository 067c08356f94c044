import ArgumentParser
import Foundation
import PlatformHub

extension Device {
    /// `fluorobox-hub device unassign-os`: takes a device's OS bundle back.
    struct UnassignOS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unassign-os",
            abstract: "Take back the OS bundle assigned to a device: the hub offers it nothing more (a box that already installed the bundle keeps it)."
        )

        @Argument(help: "The device id.") var id: String
        @OptionGroup var store: OperatorCommand.StoreChoice
        @Option(help: "Who takes it back, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor

        func run() async throws {
            guard HubServer.isValidDeviceIDForCommandLine(id) else {
                throw ValidationError("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            let (id, by) = (id, by)
            let removed = try await store.options.withStore { store in try await store.unassignOSBundle(device: id, by: by, at: Date()) }
            if let removed {
                print("device \(id): OS bundle \(removed.file) (\(removed.version)) taken back")
            } else {
                print("device \(id): no OS bundle was assigned")
            }
        }
    }
}
