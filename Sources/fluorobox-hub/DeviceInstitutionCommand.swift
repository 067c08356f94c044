import ArgumentParser
import PlatformHub

extension Device {
    /// `fluorobox-hub device set-institution`: the institution the regulator report names for a device.
    struct SetInstitution: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-institution",
            abstract: "Record the institution a device works for (region, name, ИНН and/or OID), for the regulator report."
        )

        @Argument(help: "The device id (it may not have called yet).") var id: String
        @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
        @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
        @Option(help: "The region (subject of the federation) the institution is in.") var region: String
        @Option(help: "The institution's name.") var name: String
        @Option(help: "The institution's tax ID (ИНН, 10 or 12 digits).") var taxId: String?
        @Option(help: "The institution's OID in the register of medical organisations.") var oid: String?

        func run() async throws {
            guard HubServer.isValidDeviceIDForCommandLine(id) else {
                throw ValidationError("\"\(id)\" is not a device id (1 to 128 of letters, digits and .:_-)")
            }
            let institution = DeviceInstitution(region: region, name: name, taxID: taxId, oid: oid)
            do { try institution.validate() } catch { throw ValidationError(error.detail) }
            let id = id
            try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
                .withStore { store in try await store.setInstitution(institution, device: id) }
            print("device \(id): \(institution.name), \(institution.region)")
        }
    }
}
