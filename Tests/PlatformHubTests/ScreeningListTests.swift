import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import Testing

/// Lists of people due for screening per institution: the CSV the operator imports, both stores
/// (a real PostgreSQL and the single-machine SQLite), the commands, and what a device is served.
@Suite(.enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")), .serialized)
struct ScreeningListTests {
    static let ivanovo = "7707083893"
    static let mirny = "1.2.643.5.1.13.13.12.2.69.6511"

    static let csv = """
        patient_id,name,birth_date,sex,due_date,note\r
        P-001,Иванов^Иван^Петрович,19700115,M,20261201,"annual, chest"\r
        P-002,Doe^Jane,19800202,f,20261210,\r
        \r
        P-003,Ёлкина^Анна,19991231,F,20261205\r

        """

    /// Imports (Cyrillic names, a quoted note with a comma, a missing note), re-imports keeping
    /// every accession, reads per institution and per device, removes, and audits each change.
    static func checkStore(_ store: any HubStoring, reader: (any HubStoring)? = nil) async throws {
        let reader = reader ?? store
        try await store.setInstitution(DeviceInstitution(region: "Тверская область", name: "ЦРБ", taxID: ivanovo, oid: nil), device: "box-x")
        try await store.setInstitution(DeviceInstitution(region: "Тверская область", name: "ФАП", taxID: nil, oid: mirny), device: "box-y")
        let entries = try ScreeningListCSV.entries(Array(csv.utf8), institution: ivanovo)
        let first = try await store.importScreeningList(entries, institution: ivanovo, file: "due.csv", by: "ops", at: Date())
        #expect(first.added == 3 && first.kept == 0)
        let accessions = first.entries.map { $0.accessionNumber ?? "" }
        #expect(Set(accessions).count == 3 && accessions.allSatisfy { $0.utf8.count <= 16 && ScreeningEntry.isAccession($0) }, "\(accessions)")

        let listed = try await reader.screeningList(institution: ivanovo)
        #expect(listed.map(\.patientID) == ["P-001", "P-003", "P-002"], "by due date")
        let ivanov = try #require(listed.first)
        #expect(ivanov.patientName == "Иванов^Иван^Петрович" && ivanov.note == "annual, chest" && ivanov.sex == "M" && ivanov.birthDate == "19700115")
        #expect(listed[1].patientName == "Ёлкина^Анна" && listed[1].note == nil && listed[2].sex == "F")

        // The same file again: nothing new, every accession kept; a changed note is taken.
        let again = try ScreeningListCSV.entries(Array(csv.replacingOccurrences(of: "annual, chest", with: "after pneumonia").utf8), institution: ivanovo)
        let second = try await store.importScreeningList(again, institution: ivanovo, file: "due.csv", by: "ops", at: Date())
        #expect(second.added == 0 && second.kept == 3 && second.entries.map { $0.accessionNumber ?? "" } == accessions)
        #expect(try await reader.screeningList(institution: ivanovo).map { $0.accessionNumber ?? "" }.sorted() == accessions.sorted())
        #expect(try await reader.screeningList(institution: ivanovo).first?.note == "after pneumonia")

        // Another institution's list: its own accessions, never one of the first.
        let other = try ScreeningListCSV.entries(Array("id,name,birth,sex,due\nP-001,Петров^Пётр,19650505,M,20261201\n".utf8), institution: mirny)
        let third = try await store.importScreeningList(other, institution: mirny, file: nil, by: "ops", at: Date())
        #expect(third.added == 1 && !accessions.contains(third.entries[0].accessionNumber ?? ""))

        // A device reads its own institution's list only; one without an institution, none.
        #expect(try await reader.screeningList(device: "box-x").map(\.patientID) == ["P-001", "P-003", "P-002"])
        #expect(try await reader.screeningList(device: "box-y").map(\.patientName) == ["Петров^Пётр"])
        #expect(try await reader.screeningList(device: "box-z").isEmpty)

        let removed = try #require(try await store.removeScreeningEntry(accessionNumber: accessions[1], by: "root", at: Date()))
        #expect(removed.patientID == "P-002")
        #expect(try await store.removeScreeningEntry(accessionNumber: accessions[1], by: "root", at: Date()) == nil)
        #expect(try await reader.screeningList(device: "box-x").map(\.patientID) == ["P-001", "P-003"])

        let audit = try await reader.auditEntries(limit: 20).filter { $0.action.hasPrefix("screening.") }
        #expect(audit.map(\.action) == ["screening.remove", "screening.import", "screening.import", "screening.import"], "\(audit)")
        #expect(audit.map(\.subject) == [ivanovo, mirny, ivanovo, ivanovo] && audit.map(\.actor) == ["root", "ops", "ops", "ops"])
        #expect(audit[2].detail == "3 entries (0 new, 3 kept) from due.csv" && audit[0].detail?.contains("P-002") == true, "\(audit)")
    }

    @Test("PostgreSQL keeps each institution's list with accessions unique in the region; re-importing keeps them; a device reads its own institution's")
    func postgresStore() async throws {
        let server = try await PostgresServer.start("pg-screening")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("staging")
        try await StoreHarness.with(2, url: url, staging: staging.path) { stores in
            try await Self.checkStore(stores[0], reader: stores[1])
        }
        #expect(try await server.sql("SELECT count(*) FROM screening_entry", database: "hub") == "3")
        try await server.stop()
    }

    @Test("the single-machine store does the same")
    func sqliteStore() async throws {
        let folder = TemporaryDirectory("hub-sqlite-screening")
        try await Self.checkStore(try HubStore(directory: folder.path))
    }

    @Test("a bad line is refused with its number and the reason; a file that is not UTF-8, an unknown institution and a repeated person too")
    func refusals() throws {
        func refusal(_ text: String, institution: String = ScreeningListTests.ivanovo) -> String {
            do {
                _ = try ScreeningListCSV.entries(Array(text.utf8), institution: institution)
                return "accepted"
            } catch {
                return error.detail
            }
        }
        let header = "id,name,birth,sex,due\n"
        #expect(refusal(header + "P1,A^B,19700101,M,20261201\nP2,A^B,19701301,M,20261201\n") == "line 3: the birth date \"19701301\" is not a date YYYYMMDD")
        #expect(refusal(header + "P1,A^B,19700101,X,20261201\n") == "line 2: the sex \"X\" is not M, F or O")
        #expect(refusal(header + "P1,A^B,19700101,M\n").hasPrefix("line 2: 4 fields"))
        #expect(refusal(header + "P1,A^B,19700101,M,20260230\n") == "line 2: the due date \"20260230\" is not a date YYYYMMDD")
        #expect(refusal(header + "P1,A\\B,19700101,M,20261201\n") == "line 2: the name holds a backslash or a control character")
        #expect(refusal(header + "P1,\"A^B,19700101,M,20261201\n") == "line 2: a quoted field is not closed")
        #expect(refusal(header + "P1,A^B,19700101,M,20261201\nP1,C^D,19700101,M,20261201\n") == "line 3: patient P1 due 20261201 is already on line 2")
        #expect(refusal(header + ",A^B,19700101,M,20261201\n") == "line 2: the patient ID is empty")
        #expect(refusal(header + "P1,\(String(repeating: "Я", count: 65)),19700101,M,20261201\n") == "line 2: the name is longer than 64 characters")
        #expect(refusal(header + "P1,A^B,19700101,M,20261201\n", institution: "1234567890").contains("neither an institution's ИНН"))
        let latin1 = Array(header.utf8) + Array("P0,A^B,19700101,M,20261201\n".utf8) + Array("P1,".utf8) + [0xC9, 0x76] + Array(",19700101,M,20261201\n".utf8)
        #expect(throws: HubError(.badRequest, "line 3: the file is not UTF-8 (save it as UTF-8 CSV)")) {
            try ScreeningListCSV.entries(latin1, institution: Self.ivanovo)
        }
        // A byte order mark is skipped; a header alone lists nobody.
        #expect(try ScreeningListCSV.entries([0xEF, 0xBB, 0xBF] + Array((header + "P1,A^B,19700101,M,20261201").utf8), institution: Self.ivanovo).count == 1)
        #expect(refusal(header) == "the file lists nobody (it needs a header line, then one line per person)")
    }

    /// The commands on `store` (`--database URL` or `--data-dir DIR`) and what a running hub on
    /// `port` (development plain HTTP: the header names the device) serves, with its ETag.
    static func checkCommandsAndAPI(port: Int, store: [String]) async throws {
        let folder = TemporaryDirectory("screening-cli")
        _ = try await ModelAssignmentTests.hub(["device", "set-institution", "box-x", "--region", "Тверская область", "--name", "ЦРБ", "--tax-id", ivanovo] + store)
        _ = try await ModelAssignmentTests.hub(["device", "set-institution", "box-y", "--region", "Тверская область", "--name", "ФАП", "--oid", mirny] + store)
        let good = try folder.write("due.csv", Array(csv.utf8))
        let bad = try folder.write("bad.csv", Array((csv + "P-009,Сидоров^Олег,19700101,M,2026-12-01\n").utf8))

        let refused = try await ProcessRunner.run(HubReplica.binary, ["screening", "import", "--institution", ivanovo, bad] + store)
        #expect(refused.status != 0 && refused.stderr.contains("line 6: the due date \"2026-12-01\" is not a date YYYYMMDD; nothing was imported"), "\(refused.stderr)")
        #expect(try await ModelAssignmentTests.hub(["screening", "list", "--institution", ivanovo] + store).isEmpty, "a refused file left entries")
        let empty = try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-x")
        #expect(empty.status == 200 && empty.body.contains("\"entries\"") && !empty.body.contains("P-001"), "\(empty.body)")

        let imported = try await ModelAssignmentTests.hub(["screening", "import", "--institution", ivanovo, good, "--by", "ops"] + store)
        #expect(imported.contains("3 entries from due.csv, 3 new, 0 kept"), "\(imported)")
        let lines = try await ModelAssignmentTests.hub(["screening", "list", "--institution", ivanovo] + store).split(separator: "\n")
        try #require(lines.count == 3, "\(lines)")
        #expect(lines[0].hasSuffix("\tP-001\tИванов^Иван^Петрович\t19700115\tM\t20261201\tannual, chest"), "\(lines)")
        let accession = String(lines[0].split(separator: "\t")[0])

        let listX = try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-x")
        #expect(listX.status == 200, "\(listX.body)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listX.body.utf8)) as? [String: Any])
        let served = try #require(json["entries"] as? [[String: Any]])
        #expect(served.map { $0["patientID"] as? String } == ["P-001", "P-003", "P-002"])
        #expect(served.first?["accessionNumber"] as? String == accession && served.first?["patientName"] as? String == "Иванов^Иван^Петрович")
        let eTag = try #require(listX.headers["etag"])
        #expect(eTag != empty.headers["etag"])

        // Unchanged: 304 with the same tag and no body; re-importing the same file changes nothing.
        let unchanged = try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-x", headers: ["If-None-Match: \(eTag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.headers["etag"] == eTag, "\(unchanged.status) \(unchanged.headers)")
        let reimported = try await ModelAssignmentTests.hub(["screening", "import", "--institution", ivanovo, good] + store)
        #expect(reimported.contains("0 new, 3 kept"), "\(reimported)")
        #expect(try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-x", headers: ["If-None-Match: \(eTag)"]).status == 304)

        // Institution Y's device gets none of X's; another device in the path is 403.
        let listY = try await Curl.call(port: port, "GET", "/v1/devices/box-y/screening-list", device: "box-y")
        #expect(listY.status == 200 && !listY.body.contains("P-00"), "\(listY.body)")
        #expect(try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-y").status == 403)

        // Removed: a new tag and the entry gone.
        let removed = try await ModelAssignmentTests.hub(["screening", "remove", accession] + store)
        #expect(removed.contains("removed \(accession): P-001"), "\(removed)")
        let after = try await Curl.call(port: port, "GET", "/v1/devices/box-x/screening-list", device: "box-x", headers: ["If-None-Match: \(eTag)"])
        #expect(after.status == 200 && !after.body.contains("P-001") && after.headers["etag"] != eTag, "\(after.status) \(after.body)")
        let missing = try await ProcessRunner.run(HubReplica.binary, ["screening", "remove", accession] + store)
        #expect(missing.status != 0 && missing.stderr.contains("no screening entry has the accession \(accession)"), "\(missing.stderr)")
    }

    @Test("on PostgreSQL the commands import (a bad line refuses the whole file), list and remove, and a replica serves each device its institution's list with an ETag and 304")
    func postgresCommandsAndAPI() async throws {
        let server = try await PostgresServer.start("pg-screening-api")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("pg-screening-staging")
        let replica = try await HubReplica(database: url, staging: staging.path)
        try await Self.checkCommandsAndAPI(port: replica.port, store: ["--database", url])
        await replica.stop()
        let rows = try await server.sql("SELECT actor, action, subject FROM console_audit ORDER BY id", database: "hub")
        let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        #expect(rows.split(separator: "\n").map(String.init) == [
            "ops|screening.import|\(Self.ivanovo)", "cli:\(user)|screening.import|\(Self.ivanovo)", "cli:\(user)|screening.remove|\(Self.ivanovo)",
        ], "\(rows)")
        try await server.stop()
    }

    @Test("the single-machine hub does the same")
    func sqliteCommandsAndAPI() async throws {
        let data = TemporaryDirectory("sqlite-screening-hub")
        let replica = try await HubReplica(dataDirectory: data.path)
        try await Self.checkCommandsAndAPI(port: replica.port, store: ["--data-dir", data.path])
        await replica.stop()
    }
}
