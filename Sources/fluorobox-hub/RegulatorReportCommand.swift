import ArgumentParser
import Foundation
import PlatformHub
import POSIXSupport

/// `fluorobox-hub regulator-report`: the period's figures per model version and institution.
struct RegulatorReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regulator-report",
        abstract: "Figures for the regulator per model version and institution over a period, from the boxes' daily reports (demonstration models left out)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, csv
    }

    @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
    @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
    @Option(help: "First day of the period (YYYY-MM-DD, UTC).") var from: String
    @Option(help: "Last day of the period, included (YYYY-MM-DD, UTC).") var to: String
    @Option(help: "json or csv.") var format: Format = .json

    func run() async throws {
        guard RFC3339.isDate(from), RFC3339.isDate(to) else { throw ValidationError("--from and --to are days: YYYY-MM-DD") }
        guard from <= to else { throw ValidationError("--from \(from) is after --to \(to)") }
        let from = from, to = to
        let report = try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2).withStore { store in
            RegulatorReport(
                from: from, to: to, reports: try await store.dailyReports(from: from, to: to), institutions: try await store.institutions()
            )
        }
        switch format {
        case .json:
            print(String(decoding: try JSONEncoder.indented().encode(report), as: UTF8.self))
        case .csv:
            FileHandle.standardOutput.write(Data(report.csv().utf8))
        }
        if !report.leftOut.devicesWithoutInstitution.isEmpty {
            FileHandle.standardError.write(Data(
                "no institution recorded for \(report.leftOut.devicesWithoutInstitution.count) device(s) (fluorobox-hub device set-institution): \(report.leftOut.devicesWithoutInstitution.joined(separator: ", "))\n".utf8
            ))
        }
    }
}
