import FluoroboxTestSupport
import Foundation
import PlatformHub
import Testing

/// The regulator report: institutions recorded by the operator, the boxes' daily post-market
/// reports added up per model version and institution, demonstration models left out.
@Suite(.serialized)
struct RegulatorReportTests {
    /// A daily report as a box sends it (PostMarketFigures), by hand.
    static func daily(
        device: String, model: String = "chest-triage", version: String = "2.1.0", day: String, processed: Int, flagged: Int = 0,
        retakes: Int = 0, agree: Int = 0, disagree: Int = 0, missed: Int = 0, errors: Int = 0, demonstrationLeftOut: Int = 0,
        p50: Double = 420, p95: Double = 900, use: String? = "clinical", registration: (String, String)? = ("РЗН 2025/00017", "2025-07-01")
    ) -> String {
        var fields = [
            #""device":"\#(device)","model":"\#(model)","version":"\#(version)","day":"\#(day)""#,
            #""processed":\#(processed),"flagged":\#(flagged),"retakesAdvised":\#(retakes),"doctorAgree":\#(agree)"#,
            #""doctorDisagree":\#(disagree),"doctorMissed":\#(missed),"latencyP50ms":\#(p50),"latencyP95ms":\#(p95),"errors":\#(errors)"#,
            #""demonstrationResultsLeftOut":\#(demonstrationLeftOut)"#,
        ]
        if let use { fields.append(#""modelUse":"\#(use)""#) }
        if let registration {
            fields.append(#""registrationNumber":"\#(registration.0)","registrationDate":"\#(registration.1)","intendedUse":"Chest X-ray triage, a second reader""#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func key(_ device: String, _ model: String, _ version: String, _ day: String) -> String {
        "report:\(device):\(model):\(version):\(day)"
    }

    @Test("an ИНН's check digits and an OID's arcs are checked; an institution needs one of them")
    func institutionIdentifiers() throws {
        let valid = DeviceInstitution(region: "Тверская область", name: "ЦРБ", taxID: "7707083893", oid: nil)
        try valid.validate()
        try DeviceInstitution(region: "R", name: "N", taxID: "500100732259", oid: nil).validate()
        try DeviceInstitution(region: "R", name: "N", taxID: nil, oid: "1.2.643.5.1.13.13.12.2.69.6511").validate()
        for (taxID, oid) in [("7707083894", nil), ("500100732258", nil), ("77070838", nil), ("77070838a3", nil), (nil, "1.02.3"), (nil, "3.1"), (nil, "1"), (nil, "1..2")] as [(String?, String?)] {
            #expect(throws: HubError.self, "\(taxID ?? "-") \(oid ?? "-")") {
                try DeviceInstitution(region: "R", name: "N", taxID: taxID, oid: oid).validate()
            }
        }
        #expect(throws: HubError.self) { try DeviceInstitution(region: "R", name: "N", taxID: nil, oid: nil).validate() }
        #expect(throws: HubError.self) { try DeviceInstitution(region: " ", name: "N", taxID: "7707083893", oid: nil).validate() }
    }

    @Test("the single-machine store adds up a period per model version and institution; demonstration reports and other days are left out; CSV quotes what needs it")
    func sqliteStoreReport() async throws {
        let folder = TemporaryDirectory("regulator-sqlite")
        let store = try HubStore(directory: folder.path)
        let reports: [(String, String, String, String, String)] = [
            ("box-1", "chest-triage", "2.1.0", "2026-11-02", Self.daily(device: "box-1", day: "2026-11-02", processed: 10, flagged: 3, retakes: 1, agree: 2, disagree: 1, errors: 1, demonstrationLeftOut: 0)),
            ("box-1", "chest-triage", "2.1.0", "2026-11-03", Self.daily(device: "box-1", day: "2026-11-03", processed: 5, flagged: 1, missed: 1, registration: nil)),
            ("box-2", "chest-triage", "2.1.0", "2026-11-02", Self.daily(device: "box-2", day: "2026-11-02", processed: 7, flagged: 2, errors: 2)),
            ("box-3", "chest-triage", "2.1.0", "2026-11-04", Self.daily(device: "box-3", day: "2026-11-04", processed: 2)),
            ("box-1", "chest-phantom-demo", "1.0.0", "2026-11-02", Self.daily(device: "box-1", model: "chest-phantom-demo", version: "1.0.0", day: "2026-11-02", processed: 0, demonstrationLeftOut: 4, use: "demonstration", registration: nil)),
            ("box-1", "chest-triage", "2.1.0", "2026-12-01", Self.daily(device: "box-1", day: "2026-12-01", processed: 100)),
            ("box-2", "chest-triage", "2.1.0", "2026-10-31", Self.daily(device: "box-2", day: "2026-10-31", processed: 100)),
        ]
        for (device, model, version, day, body) in reports {
            #expect(try await store.putDocument(key: Self.key(device, model, version, day), kind: "report", device: device, serial: nil, document: DocumentBody(Array(body.utf8))))
        }
        let institution = DeviceInstitution(region: "Тверская область", name: #"ГБУЗ "ЦРБ", Торжок"#, taxID: "7707083893", oid: "1.2.643.5.1.13.13.12.2.69.6511")
        try await store.setInstitution(institution, device: "box-1")
        try await store.setInstitution(DeviceInstitution(region: "x", name: "replaced below", taxID: "7707083893", oid: nil), device: "box-2")
        try await store.setInstitution(institution, device: "box-2")
        #expect(try await store.institutions() == ["box-1": institution, "box-2": institution])

        let report = RegulatorReport(
            from: "2026-11-01", to: "2026-11-30", reports: try await store.dailyReports(from: "2026-11-01", to: "2026-11-30"),
            institutions: try await store.institutions()
        )
        #expect(report.rows.count == 2, "\(report.rows)")
        let clinic = try #require(report.rows.first { $0.institutionTaxID == "7707083893" })
        #expect(clinic.model == "chest-triage" && clinic.version == "2.1.0" && clinic.devices == 2)
        #expect(clinic.studiesProcessed == 22 && clinic.flaggedForReview == 6 && clinic.retakesAdvised == 1 && clinic.processingErrors == 3)
        #expect(clinic.doctorAgree == 2 && clinic.doctorDisagree == 1 && clinic.doctorMissed == 1)
        #expect(clinic.registrationNumber == "РЗН 2025/00017" && clinic.registrationDate == "2025-07-01" && clinic.areaOfUse != nil)
        #expect(clinic.region == "Тверская область" && clinic.institutionOID == "1.2.643.5.1.13.13.12.2.69.6511")
        let unplaced = try #require(report.rows.first { $0.institution == nil })
        #expect(unplaced.studiesProcessed == 2 && unplaced.devices == 1)
        #expect(report.leftOut.demonstrationReports == 1 && report.leftOut.demonstrationResults == 4)
        #expect(report.leftOut.devicesWithoutInstitution == ["box-3"])
        #expect(!report.rows.contains { $0.model == "chest-phantom-demo" }, "a demonstration model is never a registered product's row")

        let lines = report.csv().components(separatedBy: "\r\n")
        #expect(lines[0] == RegulatorReport.csvHeader.joined(separator: ","))
        #expect(lines.count == 4 && lines[3].isEmpty, "\(lines)")
        #expect(lines.contains { $0.contains(#""ГБУЗ ""ЦРБ"", Торжок""#) && $0.hasPrefix("2026-11-01,2026-11-30,chest-triage,2.1.0,РЗН 2025/00017,2025-07-01,") })
    }

    @Test(
        "on PostgreSQL: reports PUT to a replica, the institution recorded by the operator's command, the report as JSON and CSV",
        .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? ""))
    )
    func postgresReport() async throws {
        let server = try await PostgresServer.start("pg-regulator")
        let database = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("regulator-staging")
        let replica = try await HubReplica(database: database, staging: staging.path)
        let sent: [(String, String, String, String, String)] = [
            ("box-p1", "chest-triage", "2.1.0", "2026-11-02", Self.daily(device: "box-p1", day: "2026-11-02", processed: 10, flagged: 3, errors: 1)),
            ("box-p2", "chest-triage", "2.1.0", "2026-11-29", Self.daily(device: "box-p2", day: "2026-11-29", processed: 4, flagged: 1)),
            ("box-p1", "chest-phantom-demo", "1.0.0", "2026-11-02", Self.daily(device: "box-p1", model: "chest-phantom-demo", version: "1.0.0", day: "2026-11-02", processed: 0, demonstrationLeftOut: 6, use: "demonstration", registration: nil)),
            ("box-p2", "chest-triage", "2.1.0", "2026-12-01", Self.daily(device: "box-p2", day: "2026-12-01", processed: 50)),
        ]
        for (device, model, version, day, body) in sent {
            let answer = try await ProcessRunner.run("/usr/bin/curl", [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json", "-H", "Fluorobox-Device: \(device)",
                "--data-binary", body, "http://127.0.0.1:\(replica.port)/v1/reports/\(Self.key(device, model, version, day))",
            ])
            #expect(answer.stdout == "201", "\(device) \(day): \(answer.stdout) \(answer.stderr)")
        }
        let refused = try await ProcessRunner.run(HubReplica.binary, [
            "device", "set-institution", "box-p1", "--database", database, "--region", "R", "--name", "N", "--tax-id", "7707083894",
        ])
        #expect(refused.status != 0 && refused.stderr.contains("ИНН"), "\(refused.stderr)")
        for device in ["box-p1", "box-p2"] {
            let set = try await ProcessRunner.run(HubReplica.binary, [
                "device", "set-institution", device, "--database", database, "--region", "Тверская область", "--name", "ГБУЗ ЦРБ",
                "--tax-id", "7707083893",
            ])
            #expect(set.status == 0, "\(set.stderr)")
        }
        let json = try await ProcessRunner.run(HubReplica.binary, ["regulator-report", "--database", database, "--from", "2026-11-01", "--to", "2026-11-30"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONDecoder().decode(RegulatorReport.self, from: Data(json.stdout.utf8))
        #expect(report.rows.count == 1, "\(report.rows)")
        #expect(report.rows.first?.studiesProcessed == 14 && report.rows.first?.devices == 2 && report.rows.first?.processingErrors == 1)
        #expect(report.rows.first?.registrationNumber == "РЗН 2025/00017" && report.rows.first?.institution == "ГБУЗ ЦРБ")
        #expect(report.leftOut.demonstrationReports == 1 && report.leftOut.demonstrationResults == 6 && report.leftOut.devicesWithoutInstitution.isEmpty)

        let csv = try await ProcessRunner.run(HubReplica.binary, ["regulator-report", "--database", database, "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"])
        #expect(csv.status == 0 && csv.stdout == report.csv(), "\(csv.stdout)")
        let backwards = try await ProcessRunner.run(HubReplica.binary, ["regulator-report", "--database", database, "--from", "2026-11-30", "--to", "2026-11-01"])
        #expect(backwards.status != 0 && backwards.stderr.contains("after"), "\(backwards.stderr)")
        await replica.stop()
        try await server.stop()
    }
}
