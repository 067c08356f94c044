import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Glibc
import GRDB
import POSIXSupport
import StudyStore
import Testing

/// The box's Modality Worklist SCP against dcmtk's `wlmscpfs` serving the same items: each
/// `findscu -W` query is asked of both, and the answers are compared attribute by attribute.
/// Then the worklist's life: an image sent with an item's accession links it, a cancelled
/// registration leaves, an old one drops off.
@Suite(
    "Modality worklist against dcmtk wlmscpfs", .serialized,
    .enabled(if: tool("findscu") != nil && tool("wlmscpfs") != nil && tool("dump2dcm") != nil && tool("storescu") != nil,
             "dcmtk (findscu, wlmscpfs, dump2dcm, storescu) is not installed (tools/install-deps installs it)")
)
struct ModalityWorklistInteropTests {
    static let acse = ["-ta", "60", "-td", "60"]
    static var settings: DICOMListenerSettings {
        var settings = DICOMListenerSettings()
        settings.aeTitle = ListenerFixture.aeTitle
        return settings
    }

    static func register(_ store: StudyStore) throws -> [RegistrationRecord] {
        [
            try store.register(RegistrationRecord(patientID: "P1", patientName: "DOE^JANE", patientBirthDate: "19800131", patientSex: "F", worklistNote: "chest PA")),
            try store.register(RegistrationRecord(patientID: "P2", patientName: "DOE^JOHN", patientBirthDate: "19751102", patientSex: "M", worklistNote: "fluorography")),
            try store.register(RegistrationRecord(patientID: "Q7", patientName: "SMITH^ANN", patientBirthDate: nil, patientSex: "F", worklistNote: nil)),
        ]
    }

    /// An item in dcmdump's text form, for dump2dcm.
    static func dump(_ item: WorklistItem) -> String {
        func line(_ tag: DICOM.Tag, _ vr: ValueRepresentation, _ value: String, indent: String) -> String {
            indent + String(format: "(%04x,%04x) ", tag.group, tag.element) + vr.rawValue + " [" + value + "]\n"
        }
        var text = ""
        for tag in item.attributes.keys.sorted() where !item.attributes[tag]!.isEmpty {
            text += line(tag, WorklistKey.item[tag]!, item.attributes[tag]!, indent: "")
        }
        text += "(0040,0100) SQ (Sequence with undefined length)\n  (fffe,e000) na (Item with undefined length)\n"
        for tag in item.scheduledProcedureStep.keys.sorted() where !item.scheduledProcedureStep[tag]!.isEmpty {
            text += line(tag, WorklistKey.step[tag]!, item.scheduledProcedureStep[tag]!, indent: "    ")
        }
        return text + "  (fffe,e00d) na (ItemDelimitationItem)\n(fffe,e0dd) na (SequenceDelimitationItem)\n"
    }

    /// wlmscpfs on a free port serving `items` as .wl files written by dump2dcm.
    final class ReferenceSCP {
        let folder = TemporaryDirectory("wlmscpfs")
        let process = Process()
        let port: Int

        init(items: [WorklistItem]) async throws {
            let calledAE = folder.file("data/" + ListenerFixture.aeTitle)
            try FileManager.default.createDirectory(atPath: calledAE, withIntermediateDirectories: true)
            _ = try folder.write("data/\(ListenerFixture.aeTitle)/lockfile", [])
            for (index, item) in items.enumerated() {
                let dumpPath = try folder.write("item\(index).dump", Array(ModalityWorklistInteropTests.dump(item).utf8))
                let result = try await runTool(tool("dump2dcm")!, ["-g", dumpPath, calledAE + "/item\(index).wl"])
                #expect(result.status == 0, "dump2dcm: \(result.stderr)")
            }
            port = try freePort()
            process.executableURL = URL(fileURLWithPath: tool("wlmscpfs")!)
            process.arguments = ["-dfp", folder.file("data"), "\(port)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Up when it answers a C-ECHO.
            for _ in 0..<50 {
                if try await runTool(tool("echoscu")!, ["-aec", ListenerFixture.aeTitle, "127.0.0.1", "\(port)"]).status == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Runs `findscu -W` with `keys` against `port` and reads the responses it extracted (-X).
    static func find(_ keys: [String], port: Int) async throws -> [DataSet] {
        let folder = TemporaryDirectory("findscu-worklist")
        let result = try await runTool(tool("findscu")!, ["-W", "-aet", "MODALITY", "-aec", ListenerFixture.aeTitle] + acse
            + ["-X", "-od", folder.path] + keys.flatMap { ["-k", $0] } + ["127.0.0.1", "\(port)"])
        #expect(result.status == 0, "findscu: \(result.stderr)")
        return try Posix.directoryEntries(folder.path).filter { $0.hasPrefix("rsp") }.sorted().map {
            try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder.file($0))))).dataSet
        }
    }

    /// Compares the two answer sets item by item (by Accession Number) on every attribute both
    /// return, in the item and in its scheduled step; returns how many values were compared.
    static func compare(box: [DataSet], reference: [DataSet], query: String) -> Int {
        func byAccession(_ sets: [DataSet]) -> [String: DataSet] {
            Dictionary(sets.map { ($0.string(.accessionNumber) ?? "", $0) }) { first, _ in first }
        }
        let ours = byAccession(box), theirs = byAccession(reference)
        #expect(box.count == reference.count, "\(query): the box answered \(box.count), wlmscpfs \(reference.count)")
        #expect(Set(ours.keys) == Set(theirs.keys), "\(query): accessions differ")
        var compared = 0
        func same(_ a: DataSet, _ b: DataSet, tags: some Sequence<DICOM.Tag>, where label: String) {
            for tag in tags where a.contains(tag) && b.contains(tag) {
                #expect(a.string(tag) ?? "" == b.string(tag) ?? "", "\(query): \(label) \(tag) differs")
                compared += 1
            }
        }
        for (accession, a) in ours {
            guard let b = theirs[accession] else { continue }
            same(a, b, tags: WorklistKey.item.keys, where: "item \(accession)")
            if let stepA = a.sequence(WorklistKey.scheduledProcedureStepSequence)?.first,
               let stepB = b.sequence(WorklistKey.scheduledProcedureStepSequence)?.first {
                same(stepA, stepB, tags: WorklistKey.step.keys, where: "step of \(accession)")
            }
        }
        return compared
    }

    static let allKeys = [
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber", "StudyInstanceUID",
        "RequestedProcedureID", "RequestedProcedureDescription",
        "ScheduledProcedureStepSequence[0].Modality", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
        "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime",
        "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription",
    ]

    /// `keys` replace the universal key of the same attribute in ``allKeys``.
    static func query(_ keys: String...) -> [String] {
        let names = keys.map { String($0.prefix { $0 != "=" }) }
        return allKeys.filter { !names.contains($0) } + keys
    }

    @Test("findscu -W: the box and wlmscpfs give the same items with the same attributes for universal, wildcard, ID, accession, step and date-range queries")
    func sameAnswersAsWlmscpfs() async throws {
        let fixture = try await ListenerFixture(label: "mwl-box", worklist: Self.settings)
        let registered = try Self.register(fixture.store)
        let items = try await StoreWorklistSource(store: fixture.store, settings: Self.settings).scheduledItems()
        #expect(items.count == 3, "registering again keeps the earlier registrations on the worklist")
        let reference = try await ReferenceSCP(items: items)
        defer { reference.stop() }
        let today = items[0].scheduledProcedureStep[WorklistKey.scheduledProcedureStepStartDate]!
        let jane = registered[0].accessionNumber!
        let queries: [(keys: [String], expected: Int)] = [
            (Self.allKeys, 3),
            (Self.query("PatientName=DOE*"), 2),
            (Self.query("PatientName=SMITH^ANN"), 1),
            (Self.query("PatientID=Q7"), 1),
            (Self.query("AccessionNumber=\(jane)"), 1),
            (Self.query("ScheduledProcedureStepSequence[0].Modality=DX", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=\(ListenerFixture.aeTitle)"), 3),
            (Self.query("ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=\(today)-"), 3),
            (Self.query("ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=-19991231"), 0),
            (Self.query("ScheduledProcedureStepSequence[0].Modality=CT"), 0),
            (Self.query("PatientSex=M"), 1),
            (["PatientName", "AccessionNumber", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID"], 3),
        ]
        var compared = 0
        for (keys, expected) in queries {
            let label = keys.filter { $0.contains("=") }.joined(separator: " ")
            let ours = try await Self.find(keys, port: fixture.port)
            let theirs = try await Self.find(keys, port: reference.port)
            #expect(ours.count == expected, "\(label): the box answered \(ours.count)")
            compared += Self.compare(box: ours, reference: theirs, query: label.isEmpty ? "universal" : label)
        }
        // The universal query alone compares 3 items of 8 item and 6 step attributes.
        #expect(compared >= 3 * 14)
        let full = try await Self.find(Self.allKeys, port: fixture.port)
        let janes = full.first { $0.string(.accessionNumber) == jane }
        #expect(janes?.string(WorklistKey.requestedProcedureDescription) == "chest PA")
        #expect(janes?.sequence(WorklistKey.scheduledProcedureStepSequence)?.first?.string(.modality) == "DX")
        #expect(Set(full.compactMap { $0.string(.accessionNumber) }).count == 3, "accessions are unique")
        await fixture.stop()
    }

    @Test("storescu with an item's accession links the image to its registration and the item leaves the worklist; a cancelled registration is gone")
    func linkAndCancel() async throws {
        let fixture = try await ListenerFixture(label: "mwl-link", worklist: Self.settings)
        let registered = try Self.register(fixture.store)
        let folder = TemporaryDirectory("mwl-image")
        let image = try QueryRetrieveInteropTests.instance(
            sopClass: QueryRetrieveInteropTests.dx, modality: "DX", study: DICOMUID.random(), series: DICOMUID.random(), seriesNumber: "1",
            number: "1", patient: (name: "DOE^JANE", id: "P1"), date: "20261207", accession: registered[0].accessionNumber!
        )
        let path = try folder.write("image.dcm", image.bytes)
        let sent = try await runTool(tool("storescu")!, ["-aet", "MODALITY", "-aec", ListenerFixture.aeTitle] + Self.acse + ["127.0.0.1", "\(fixture.port)", path])
        #expect(sent.status == 0, "storescu: \(sent.stderr)")
        let linked = try fixture.store.registrations().first { $0.id == registered[0].id }
        let instanceID = try await fixture.database().read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM instance WHERE sopInstanceUID = ?", arguments: [image.uid])
        }
        #expect(linked?.linkedInstanceID != nil && linked?.linkedInstanceID == instanceID)

        #expect(try fixture.store.cancelRegistration(id: registered[2].id!))
        let left = try await Self.find(Self.allKeys, port: fixture.port)
        #expect(left.compactMap { $0.string(.accessionNumber) } == [registered[1].accessionNumber!])
        // A linked registration cannot be cancelled any more; its link stays.
        #expect(try !fixture.store.cancelRegistration(id: registered[0].id!))
        await fixture.stop()
    }

    @Test("a registration older than dicom.worklistDays drops off the worklist")
    func oldRegistrationsDropOff() async throws {
        let folder = TemporaryDirectory("mwl-age")
        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")), retention: RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0))),
            logger: quietLogger
        )
        let old = try store.register(RegistrationRecord(
            patientID: "OLD", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil,
            registeredAt: Date().addingTimeInterval(-10 * 86_400)
        ))
        let fresh = try store.register(RegistrationRecord(patientID: "NEW", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil))
        var settings = Self.settings
        settings.worklistDays = 7
        let week = try await StoreWorklistSource(store: store, settings: settings).scheduledItems()
        #expect(week.map { $0.attributes[.accessionNumber] } == [fresh.accessionNumber])
        settings.worklistDays = 30
        let month = try await StoreWorklistSource(store: store, settings: settings).scheduledItems()
        #expect(month.map { $0.attributes[.accessionNumber] } == [old.accessionNumber, fresh.accessionNumber])
    }

    @Test("findscu -W --cancel 1: the box stops sending items and answers Cancel (0xFE00)")
    func cancel() async throws {
        let count = 10_000
        let fixture = try await ListenerFixture(label: "mwl-cancel", worklistSource: ManyWorklistItems(count: count))
        let folder = TemporaryDirectory("findscu-worklist-cancel")
        // As the Q/R cancel test: findscu's socket buffers at 8 KB, long timeouts for a loaded machine.
        let result = try await runTool(tool("findscu")!, ["-W", "-v", "-aet", "MODALITY", "-aec", ListenerFixture.aeTitle, "-ta", "60", "-td", "60"]
            + ["--cancel", "1", "-X", "-od", folder.path, "-k", "AccessionNumber", "-k", "PatientName", "-k", "ScheduledProcedureStepSequence[0].Modality=DX",
               "127.0.0.1", "\(fixture.port)"],
            environment: ["TCP_BUFFER_LENGTH": "8192"])
        try expectFindCancelled(result, responsesIn: folder, matches: count)
        await fixture.stop()
    }
}

/// A worklist of many made-up items: enough that a C-CANCEL arrives while the box still sends.
struct ManyWorklistItems: WorklistSource {
    var count: Int

    func scheduledItems() async throws -> [WorklistItem] {
        (0..<count).map { index in
            WorklistItem(
                attributes: [.accessionNumber: "A\(index)", .patientName: "PATIENT^\(index)"],
                scheduledProcedureStep: [.modality: "DX", WorklistKey.scheduledProcedureStepID: "A\(index)"]
            )
        }
    }
}
