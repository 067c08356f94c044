import ArgumentParser
import Foundation
import PlatformHub

/// `fluorobox-hub model …`: which packages of the catalog folder each region or institution is
/// offered. Every change is audited (as `cli:$USER` unless --by says otherwise).
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Assign the catalog's model packages to a region or to institutions, take them back, list the assignments; a device is offered only what is assigned to its region or institution.",
        subcommands: [Assign.self, Unassign.self, ListAssignments.self, RolloutCommand.self]
    )

    /// Whom a package is for: one region, or one or more institutions.
    struct TargetOptions: ParsableArguments {
        @Option(help: "The region (as `device set-institution --region` records it): every device of its institutions.") var region: String?
        @Option(help: "An institution by its ИНН or OID (repeat for several): the devices working for it.") var institution: [String] = []

        func target() throws -> ModelAssignment.Target {
            do {
                return try ModelAssignment.Target.validated(region: region, institutions: institution)
            } catch {
                throw ValidationError(error.detail)
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign a package of the catalog folder to a region or to institutions, pinned by its SHA-256 now; the same package to the same target again re-pins it. With --shadow the devices run it in shadow beside their active package (one shadow per target; never activated, never rolled out)."
        )

        @Argument(help: "The package's file name in the catalog folder.") var file: String
        @OptionGroup var to: TargetOptions
        @Flag(help: "Assign it as the target's shadow: installed and run beside the task's active package, its results recorded and compared, never shown or sent as results, never activated.") var shadow = false
        @Option(help: "The folder the hub serves the catalog from (serve --catalog-dir).") var catalogDir: String
        @Option(help: "Who assigns it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let target = try to.target()
            let assignment: ModelAssignment
            do {
                assignment = try ModelAssignment.of(file: file, in: catalogDir, target: target, role: shadow ? .shadow : .active, assignedBy: by)
            } catch {
                throw ValidationError(error.detail)
            }
            let stored = try await store.options.withStore { store in
                do throws(HubError) {
                    return try await store.assignModel(assignment)
                } catch where error.code == .conflict {
                    // Another role or another shadow of the target: the detail says what to take back.
                    throw ValidationError(error.detail)
                }
            }
            print("model assignment \(stored.id): \(stored.file) to \(stored.target.description)\(stored.role == .shadow ? " as shadow" : "") (\(stored.size) bytes, SHA-256 \(stored.sha256))")
        }
    }

    struct Unassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take back a package assigned to a region or to institutions (the same target as assigned): its devices are offered it no more (a box that installed it keeps it)."
        )

        @Argument(help: "The package's file name.") var file: String
        @OptionGroup var to: TargetOptions
        @Option(help: "Who takes it back, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let target = try to.target()
            let (file, by) = (file, by)
            let removed = try await store.options.withStore { store -> ModelAssignment? in
                guard let held = try await store.modelAssignments().first(where: { $0.file == file && $0.target == target }) else { return nil }
                return try await store.unassignModel(id: held.id, by: by, at: Date())
            }
            if let removed {
                print("model assignment \(removed.id): \(removed.file) to \(removed.target.description) taken back")
            } else {
                print("\(file) was not assigned to \(target.description)")
            }
        }
    }

    struct ListAssignments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Every assignment: the package, its target and role (active or shadow), how many devices with a recorded institution it reaches, and with --catalog-dir whether the file is still as assigned (offered) or changed or gone (not offered)."
        )

        @Option(help: "The folder the hub serves the catalog from (serve --catalog-dir): check each file against its pin.") var catalogDir: String?
        @Flag(help: "One JSON array: id, file, size, sha256, region or institutions, role, devices, assignedBy, assignedAt, and with --catalog-dir fileState (as-assigned: offered; changed or missing: not offered).") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        /// One assignment as `--json` prints it.
        struct Listing: Encodable {
            var id: Int64
            var file: String
            var size: Int64
            var sha256: String
            var region: String?
            var institutions: [String]?
            var role: ModelAssignment.Role
            var devices: Int
            var assignedBy: String
            var assignedAt: Date
            var fileState: ModelAssignment.FileState?
        }

        func run() async throws {
            let (assignments, institutions) = try await store.options.withStore { store in
                (try await store.modelAssignments(), try await store.institutions())
            }
            var current: [String: ModelCatalog.Package?] = [:]
            if let catalogDir {
                for file in Set(assignments.map(\.file)) { current[file] = try await ModelCatalog.current(file, in: catalogDir) }
            }
            let listings = assignments.map { assignment in
                var listing = Listing(
                    id: assignment.id, file: assignment.file, size: assignment.size, sha256: assignment.sha256, role: assignment.role,
                    devices: assignment.devicesReached(institutions), assignedBy: assignment.assignedBy, assignedAt: assignment.assignedAt,
                    fileState: current[assignment.file].map(assignment.state(of:)))
                switch assignment.target {
                case .region(let region): listing.region = region
                case .institutions(let ids): listing.institutions = ids
                }
                return listing
            }
            if json {
                print(String(decoding: try JSONEncoder.compact(escapingSlashes: false).encode(listings), as: UTF8.self))
                return
            }
            let format = ISO8601DateFormatter()
            for (assignment, listing) in zip(assignments, listings) {
                print([
                    String(assignment.id), assignment.file, assignment.target.description, assignment.role.rawValue, "\(listing.devices) devices",
                    "\(assignment.size) bytes", "SHA-256 \(assignment.sha256)",
                    "by \(assignment.assignedBy) \(format.string(from: assignment.assignedAt))",
                ].joined(separator: "\t") + (listing.fileState.map { "\tfile \($0.rawValue)" } ?? ""))
            }
            print("\(assignments.count) model assignments")
        }
    }
}
