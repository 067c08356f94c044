import ArgumentParser
import Foundation
import PlatformHub

/// `fluorobox-hub screening`: the people due for screening per institution, which the
/// institution's boxes offer as modality worklist items.
struct ScreeningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screening",
        abstract: "Lists of people due for screening per institution (its boxes offer them on their modality worklist).",
        subcommands: [Import.self, ListEntries.self, Remove.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add a CSV of people due for screening to an institution's list: a header line, then patient ID, family^given name, birth date YYYYMMDD, sex M/F/O, due date YYYYMMDD and an optional note (UTF-8). A bad line refuses the whole file; the same patient and due date again keeps its entry and accession."
        )

        @Option(help: "The institution, by its ИНН or OID (as `device set-institution` records it).") var institution: String
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Who imports it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let bytes: [UInt8]
            do {
                bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw ValidationError("\(file): \((error as NSError).localizedDescription)")
            }
            let entries: [ScreeningEntry]
            do {
                entries = try ScreeningListCSV.entries(bytes, institution: institution)
            } catch {
                throw ValidationError("\(file): \(error.detail); nothing was imported")
            }
            let (institution, name, by) = (institution, URL(fileURLWithPath: file).lastPathComponent, by)
            let outcome = try await store.options.withStore { store in
                try await store.importScreeningList(entries, institution: institution, file: name, by: by, at: Date())
            }
            print("institution \(institution): \(outcome.entries.count) entries from \(name), \(outcome.added) new, \(outcome.kept) kept")
        }
    }

    struct ListEntries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "An institution's list, by due date: accession, patient ID, name, birth date, sex, due date, note.")

        @Option(help: "The institution, by its ИНН or OID.") var institution: String
        @Flag(help: "JSON instead of tab-separated lines.") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let institution = institution
            let entries = try await store.options.withStore { store in try await store.screeningList(institution: institution) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(entries), as: UTF8.self))
                return
            }
            for entry in entries {
                print([entry.accessionNumber ?? "", entry.patientID, entry.patientName, entry.birthDate, entry.sex, entry.dueDate, entry.note ?? ""]
                    .joined(separator: "\t"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an entry by its accession; the boxes drop it at their next poll (an entry a box already linked an image to stays on that box)."
        )

        @Argument(help: "The entry's accession (S and digits).") var accession: String
        @Option(help: "Who removes it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            guard ScreeningEntry.isAccession(accession) else { throw ValidationError("\"\(accession.prefix(40))\" is not a screening accession (S and digits)") }
            let (accession, by) = (accession, by)
            let removed = try await store.options.withStore { store in
                try await store.removeScreeningEntry(accessionNumber: accession, by: by, at: Date())
            }
            guard let removed else { throw ValidationError("no screening entry has the accession \(accession)") }
            print("removed \(accession): \(removed.patientID) \(removed.patientName) due \(removed.dueDate) (\(removed.institution))")
        }
    }
}
