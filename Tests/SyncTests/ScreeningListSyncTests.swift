import Appliance
import DICOM
import DICOMNetwork
import Foundation
import FluoroboxTestSupport
import GRDB
import StudyStore
import Sync
import Testing

/// The platform's screening list end to end: the operator imports it on a real hub, each box
/// fetches its own institution's over mutual TLS into its store, dcmtk's `findscu -W` finds the
/// due person on the box's DICOM listener under the hub's accession, and `storescu` sending an
/// image with that accession links it and takes it off the worklist.
@Suite(
    "The platform's screening list on the box's worklist", .serialized,
    .enabled(if: tool("findscu") != nil && tool("storescu") != nil, "dcmtk (findscu, storescu) is not installed (tools/install-deps installs it)")
)
struct ScreeningListSyncTests {
    static let institutionX = "7707083893"
    static let institutionY = "1.2.643.5.1.13.13.12.2.69.6511"
    static let acse = ["-ta", "60", "-td", "60"]

    /// YYYYMMDD of today plus `days` on the box's clock and time zone.
    static func day(_ days: Int) -> String {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(Double(days) * 86_400))
        return String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
    }

    /// A small DX image with `accession`, as a modality sends it.
    static func image(accession: String, patient: (name: String, id: String)) throws -> (uid: String, bytes: [UInt8]) {
        let uid = DICOMUID.random()
        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.1.1")
        writer.set(.sopInstanceUID, .UI, uid)
        writer.set(.studyInstanceUID, .UI, DICOMUID.random())
        writer.set(.seriesInstanceUID, .UI, DICOMUID.random())
        writer.set(.studyDate, .DA, day(0))
        writer.set(.accessionNumber, .SH, accession)
        writer.set(.modality, .CS, "DX")
        writer.set(.patientName, .PN, patient.name)
        writer.set(.patientID, .LO, patient.id)
        writer.set(.samplesPerPixel, uint16: 1)
        writer.set(.photometricInterpretation, .CS, "MONOCHROME2")
        writer.set(.rows, uint16: 8)
        writer.set(.columns, uint16: 8)
        writer.set(.bitsAllocated, uint16: 8)
        writer.set(.bitsStored, uint16: 8)
        writer.set(.highBit, uint16: 7)
        writer.set(.pixelRepresentation, uint16: 0)
        writer.set(.pixelData, .OB, bytes: (0..<64).map { UInt8($0 * 3) })
        return (uid, try writer.part10Bytes())
    }

    /// `findscu -W` for every item on `port`; the responses it wrote (-X).
    static func worklist(port: Int) async throws -> [DataSet] {
        let folder = TemporaryDirectory("screening-findscu")
        let keys = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber", "RequestedProcedureID",
                    "RequestedProcedureDescription", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
                    "ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription", "ScheduledProcedureStepSequence[0].Modality"]
        let result = try await ProcessRunner.run(tool("findscu")!, ["-W", "-aet", "MODALITY", "-aec", "FLUOROBOX"] + acse
            + ["-X", "-od", folder.path] + keys.flatMap { ["-k", $0] } + ["127.0.0.1", "\(port)"])
        #expect(result.status == 0, "findscu: \(result.stderr)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("rsp") }.sorted().map {
            try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder.file($0))))).dataSet
        }
    }

    @Test("a box fetches its institution's list over mutual TLS (304 while unchanged), findscu -W finds the due person under the hub's accession, and an image sent with it links the entry, which leaves the worklist")
    func listToWorklistToLink() async throws {
        let folder = TemporaryDirectory("screening-sync")
        let pki = try await MutualTLSTests.makePKI(folder)
        let (hub, port) = try await MutualTLSTests.startHub(folder, pki: pki, certificate: "hub")
        defer { hub.stop() }
        let hubData = ["--data-dir", folder.file("hub-hub")]
        func hubCommand(_ arguments: [String]) async throws -> String {
            let result = try await ProcessRunner.run(HubProcess.binary, arguments + hubData)
            try #require(result.status == 0, "fluorobox-hub \(arguments.joined(separator: " ")): \(result.stderr)")
            return result.stdout
        }
        _ = try await hubCommand(["device", "set-institution", "box-test-1", "--region", "Тверская область", "--name", "ЦРБ", "--tax-id", Self.institutionX])
        _ = try await hubCommand(["device", "set-institution", "box-test-2", "--region", "Тверская область", "--name", "ФАП", "--oid", Self.institutionY])
        let x = try folder.write("x.csv", Array("""
            patient_id,name,birth_date,sex,due_date,note
            X-1,Иванов^Иван,19700115,M,\(Self.day(2)),
            X-2,Петрова^Анна,19800202,F,\(Self.day(60)),next year
            X-3,Сидоров^Олег,19600303,M,\(Self.day(-3)),overdue

            """.utf8))
        let y = try folder.write("y.csv", Array("id,name,birth,sex,due\nY-1,Smith^Ann,19900101,F,\(Self.day(0))\n".utf8))
        _ = try await hubCommand(["screening", "import", "--institution", Self.institutionX, x])
        _ = try await hubCommand(["screening", "import", "--institution", Self.institutionY, y])
        let accessions = Dictionary(uniqueKeysWithValues: try await hubCommand(["screening", "list", "--institution", Self.institutionX])
            .split(separator: "\n").map { line in
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                return (String(fields[1]), String(fields[0]))
            })
        try #require(accessions.count == 3)

        // The box's service fetches into its store; the same list again is a 304.
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("box"))), logger: quietLogger)
        let client = try MutualTLSTests.client(port: port, pki: pki, device: "device")
        let service = ScreeningListService(client: client, store: store, intervalSeconds: 3600, logger: quietLogger)
        let fetched = await service.checkOnce()
        guard case .list(let entries, let eTag) = fetched else {
            Issue.record("the first poll got \(String(describing: fetched))")
            return
        }
        #expect(entries.count == 3 && !eTag.isEmpty)
        let held = try store.screeningEntries()
        #expect(Set(held.map(\.accessionNumber)) == Set(accessions.values) && held.allSatisfy(\.listed))
        #expect(held.first { $0.patientID == "X-1" }?.patientName == "Иванов^Иван")
        #expect(try store.screeningListETag() == eTag)
        #expect(await service.checkOnce() == .unchanged)

        // The other institution's box gets its own list only.
        let other = try MutualTLSTests.client(port: port, pki: pki, device: "other-device", deviceID: "box-test-2")
        let otherList = try await other.screeningList(ifNoneMatch: nil)
        guard case .list(let otherEntries, _) = otherList else {
            Issue.record("box-test-2 got \(otherList)")
            return
        }
        #expect(otherEntries.map(\.patientID) == ["Y-1"])
        await other.shutdown()

        // The worklist on the box's listener: the two due within dicom.worklistDays (7), not next year's.
        var settings = DICOMListenerSettings()
        settings.aeTitle = "FLUOROBOX"
        var configuration = AcceptorConfiguration(aeTitle: "FLUOROBOX")
        configuration.servesWorklist = true
        let listener = DICOMListener(
            configuration: configuration, receiver: DICOMStoreReceiver(store: store, logger: quietLogger), commitments: nil, queryRetrieve: nil,
            worklist: StoreWorklistSource(store: store, settings: settings), logger: quietLogger)
        let dicomPort = try await listener.bind(host: "127.0.0.1", port: 0)
        let serving = Task { try await listener.serve() }
        let items = try await Self.worklist(port: dicomPort)
        #expect(Set(items.compactMap { $0.string(.accessionNumber) }) == [accessions["X-1"]!, accessions["X-3"]!], "\(items.map { $0.string(.patientID) })")
        let ivanov = try #require(items.first { $0.string(.patientID) == "X-1" })
        #expect(ivanov.string(.patientName) == "Иванов^Иван" && ivanov.string(WorklistKey.requestedProcedureID) == accessions["X-1"])
        #expect(ivanov.string(WorklistKey.requestedProcedureDescription) == "Screening fluorography")
        let step = ivanov.sequence(WorklistKey.scheduledProcedureStepSequence)?.first
        #expect(step?.string(WorklistKey.scheduledProcedureStepID) == accessions["X-1"] && step?.string(.modality) == "DX")
        #expect(items.first { $0.string(.patientID) == "X-3" }?.string(WorklistKey.requestedProcedureDescription) == "overdue")

        // The modality sends Ivanov's image with the accession: linked in the intake, off the worklist.
        let image = try Self.image(accession: accessions["X-1"]!, patient: (name: "Иванов^Иван", id: "X-1"))
        let path = try folder.write("image.dcm", image.bytes)
        let sent = try await ProcessRunner.run(tool("storescu")!, ["-aet", "MODALITY", "-aec", "FLUOROBOX"] + Self.acse + ["127.0.0.1", "\(dicomPort)", path])
        #expect(sent.status == 0, "storescu: \(sent.stderr)")
        let linked = try #require(try store.screeningEntries().first { $0.patientID == "X-1" })
        #expect(linked.linkedInstanceID != nil && linked.linkedAt != nil)
        #expect(try await Self.worklist(port: dicomPort).compactMap { $0.string(.accessionNumber) } == [accessions["X-3"]!])

        // The operator removes both X-1 (linked) and X-3: the new list drops X-3, X-1 stays on the box with its link.
        _ = try await hubCommand(["screening", "remove", accessions["X-1"]!])
        _ = try await hubCommand(["screening", "remove", accessions["X-3"]!])
        guard case .list(let shorter, _) = await service.checkOnce() else {
            Issue.record("the list did not change")
            return
        }
        #expect(shorter.map(\.patientID) == ["X-2"])
        let kept = try store.screeningEntries()
        #expect(kept.map(\.patientID).sorted() == ["X-1", "X-2"] && kept.first { $0.patientID == "X-1" }?.listed == false)
        #expect(kept.first { $0.patientID == "X-1" }?.linkedInstanceID == linked.linkedInstanceID)
        #expect(try await Self.worklist(port: dicomPort).isEmpty)

        await listener.close(grace: .seconds(2))
        _ = await serving.result
        await client.shutdown()
    }
}
