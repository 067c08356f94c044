import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Glibc
import POSIXSupport
import StudyStore
import Testing

/// Study Root Query/Retrieve against dcmtk: findscu at study, series and image level, movescu
/// into a storescp registered in `dicom.peers`, getscu on the same association. The store holds
/// a study with a radiograph series, an overlay (Secondary Capture) series, a Structured Report
/// series and a presentation state series, as the box files its own results, beside two other
/// patients' studies.
@Suite("Query/retrieve with dcmtk findscu, movescu and getscu", .serialized, .enabled(if: tool("findscu") != nil && tool("getscu") != nil, "dcmtk is not installed (tools/install-deps installs it)"))
struct QueryRetrieveInteropTests {
    static let dx = "1.2.840.10008.5.1.4.1.1.1.1"
    static let secondaryCapture = "1.2.840.10008.5.1.4.1.1.7"
    static let comprehensiveSR = "1.2.840.10008.5.1.4.1.1.88.33"
    static let presentationState = "1.2.840.10008.5.1.4.1.1.11.1"
    static let acse = ["-ta", "60", "-td", "60"]

    struct Stored {
        var studyA = DICOMUID.random(), studyB = DICOMUID.random(), studyC = DICOMUID.random()
        var radiographs = DICOMUID.random(), overlays = DICOMUID.random(), reports = DICOMUID.random(), marks = DICOMUID.random()
        /// SOP Instance UID → the Part 10 file as stored.
        var files: [String: [UInt8]] = [:]
    }

    static func instance(
        sopClass: String, modality: String, study: String, series: String, seriesNumber: String, number: String,
        patient: (name: String, id: String), date: String, accession: String
    ) throws -> (uid: String, bytes: [UInt8]) {
        let uid = DICOMUID.random()
        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.sopClassUID, .UI, sopClass)
        writer.set(.sopInstanceUID, .UI, uid)
        writer.set(.studyDate, .DA, date)
        writer.set(.studyTime, .TM, "101500")
        writer.set(.accessionNumber, .SH, accession)
        writer.set(.modality, .CS, modality)
        writer.set(.patientName, .PN, patient.name)
        writer.set(.patientID, .LO, patient.id)
        writer.set(.studyInstanceUID, .UI, study)
        writer.set(.seriesInstanceUID, .UI, series)
        writer.set(.seriesNumber, .IS, seriesNumber)
        writer.set(.instanceNumber, .IS, number)
        if sopClass != comprehensiveSR, sopClass != presentationState { writer.set(.pixelData, .OB, bytes: SyntheticDICOM.randomBytes(2048)) }
        return (uid, try writer.part10Bytes())
    }

    /// Files the instances through the store's intake, as the analysis files its overlay and SR.
    static func populate(_ store: StudyStore) throws -> Stored {
        var stored = Stored()
        let jane = (name: "DOE^JANE", id: "P1"), john = (name: "DOE^JOHN", id: "P2"), ann = (name: "SMITH^ANN", id: "Q7")
        let made = [
            try instance(sopClass: dx, modality: "DX", study: stored.studyA, series: stored.radiographs, seriesNumber: "1", number: "1", patient: jane, date: "20261101", accession: "ACC1"),
            try instance(sopClass: dx, modality: "DX", study: stored.studyA, series: stored.radiographs, seriesNumber: "1", number: "2", patient: jane, date: "20261101", accession: "ACC1"),
            try instance(sopClass: secondaryCapture, modality: "OT", study: stored.studyA, series: stored.overlays, seriesNumber: "900", number: "1", patient: jane, date: "20261101", accession: "ACC1"),
            try instance(sopClass: comprehensiveSR, modality: "SR", study: stored.studyA, series: stored.reports, seriesNumber: "901", number: "1", patient: jane, date: "20261101", accession: "ACC1"),
            try instance(sopClass: presentationState, modality: "PR", study: stored.studyA, series: stored.marks, seriesNumber: "902", number: "1", patient: jane, date: "20261101", accession: "ACC1"),
            try instance(sopClass: dx, modality: "DX", study: stored.studyB, series: DICOMUID.random(), seriesNumber: "1", number: "1", patient: john, date: "20261120", accession: "ACC2"),
            try instance(sopClass: dx, modality: "DX", study: stored.studyC, series: DICOMUID.random(), seriesNumber: "1", number: "1", patient: ann, date: "20250101", accession: "ACC3"),
        ]
        for (uid, bytes) in made {
            _ = try store.ingestBlocking(.bytes(bytes), origin: IntakeOrigin(source: .analysis, detail: "test")) { try ContentDescriber.describe($0) }
            stored.files[uid] = bytes
        }
        return stored
    }

    /// Runs findscu with `keys` and reads the responses it extracted (-X).
    func find(_ keys: [String], port: Int) async throws -> [DataSet] {
        let folder = TemporaryDirectory("findscu")
        let result = try await runTool(tool("findscu")!, ["-S", "-aet", "FINDSCU", "-aec", ListenerFixture.aeTitle] + Self.acse
            + ["-X", "-od", folder.path] + keys.flatMap { ["-k", $0] } + ["127.0.0.1", "\(port)"])
        #expect(result.status == 0, "findscu: \(result.stderr)")
        return try Posix.directoryEntries(folder.path).filter { $0.hasPrefix("rsp") }.sorted().map {
            try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder.file($0))))).dataSet
        }
    }

    /// The data set of each Part 10 file in `folder`, by SOP Instance UID.
    static func received(in folder: String) throws -> [String: [UInt8]] {
        var sets: [String: [UInt8]] = [:]
        for name in try Posix.directoryEntries(folder) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            let meta = try FileMetaInformation(part10: bytes)
            sets[meta.mediaStorageSOPInstanceUID ?? name] = Array(bytes[meta.dataSetOffset...])
        }
        return sets
    }

    static func dataSet(of file: [UInt8]) throws -> [UInt8] {
        Array(file[try FileMetaInformation(part10: file).dataSetOffset...])
    }

    @Test("findscu -S at study level: wildcards, a date range, a UID list and universal matching; the study's own overlay and SR count")
    func studyLevel() async throws {
        let fixture = try await ListenerFixture(label: "qr-find", queryRetrievePeers: [])
        let stored = try Self.populate(fixture.store)
        let asked = ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName=DOE*", "PatientID", "StudyDate=20261101-20261115",
                     "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "AccessionNumber"]
        let ranged = try await find(asked, port: fixture.port)
        #expect(ranged.map { $0.string(.studyInstanceUID) } == [stored.studyA])
        #expect(ranged.first?.strings(QueryKey.modalitiesInStudy) == ["DX", "OT", "PR", "SR"])
        #expect(ranged.first?.string(QueryKey.numberOfStudyRelatedSeries) == "4")
        #expect(ranged.first?.string(QueryKey.numberOfStudyRelatedInstances) == "5")
        #expect(ranged.first?.string(.accessionNumber) == "ACC1")
        #expect(ranged.first?.string(.patientID) == "P1")

        let wildcard = try await find(["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientID=P?"], port: fixture.port)
        #expect(Set(wildcard.compactMap { $0.string(.studyInstanceUID) }) == [stored.studyA, stored.studyB])
        let openRange = try await find(["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "StudyDate=-20251231"], port: fixture.port)
        #expect(openRange.compactMap { $0.string(.studyInstanceUID) } == [stored.studyC])
        let list = try await find(["QueryRetrieveLevel=STUDY", "StudyInstanceUID=\(stored.studyA)\\\(stored.studyC)"], port: fixture.port)
        #expect(Set(list.compactMap { $0.string(.studyInstanceUID) }) == [stored.studyA, stored.studyC])
        let universal = try await find(["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName"], port: fixture.port)
        #expect(universal.count == 3)
        let none = try await find(["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName=NOBODY*"], port: fixture.port)
        #expect(none.isEmpty)
        await fixture.stop()
    }

    @Test("findscu -S at series and image level: the radiographs, the overlay, the SR and the presentation state of one study")
    func seriesAndImageLevel() async throws {
        let fixture = try await ListenerFixture(label: "qr-find-series", queryRetrievePeers: [])
        let stored = try Self.populate(fixture.store)
        let series = try await find(["QueryRetrieveLevel=SERIES", "StudyInstanceUID=\(stored.studyA)", "SeriesInstanceUID", "Modality",
                                     "SeriesNumber", "NumberOfSeriesRelatedInstances"], port: fixture.port)
        let bySeries = Dictionary(uniqueKeysWithValues: series.map { ($0.string(.seriesInstanceUID) ?? "", $0) })
        #expect(Set(bySeries.keys) == [stored.radiographs, stored.overlays, stored.reports, stored.marks])
        #expect(bySeries[stored.marks]?.string(.modality) == "PR")
        #expect(bySeries[stored.radiographs]?.string(.modality) == "DX")
        #expect(bySeries[stored.radiographs]?.string(QueryKey.numberOfSeriesRelatedInstances) == "2")
        #expect(bySeries[stored.reports]?.string(.modality) == "SR")
        #expect(bySeries[stored.overlays]?.string(.seriesNumber) == "900")
        let reports = try await find(["QueryRetrieveLevel=SERIES", "StudyInstanceUID=\(stored.studyA)", "SeriesInstanceUID", "Modality=SR"], port: fixture.port)
        #expect(reports.compactMap { $0.string(.seriesInstanceUID) } == [stored.reports])

        let images = try await find(["QueryRetrieveLevel=IMAGE", "StudyInstanceUID=\(stored.studyA)", "SeriesInstanceUID=\(stored.radiographs)",
                                     "SOPInstanceUID", "SOPClassUID", "InstanceNumber"], port: fixture.port)
        #expect(images.count == 2)
        #expect(Set(images.compactMap { $0.string(.instanceNumber) }) == ["1", "2"])
        #expect(images.allSatisfy { $0.string(.sopClassUID) == Self.dx })
        let report = try await find(["QueryRetrieveLevel=IMAGE", "StudyInstanceUID=\(stored.studyA)", "SeriesInstanceUID=\(stored.reports)",
                                     "SOPInstanceUID", "SOPClassUID"], port: fixture.port)
        #expect(report.compactMap { $0.string(.sopClassUID) } == [Self.comprehensiveSR])
        await fixture.stop()
    }

    @Test("movescu -S to a storescp from dicom.peers: every instance of the study arrives with its data set byte for byte; an unknown destination is 0xA801")
    func move() async throws {
        let folder = TemporaryDirectory("qr-move")
        let received = folder.file("received")
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        let port = try freePort()
        let fixture = try await ListenerFixture(label: "qr-move-box", queryRetrievePeers: [DICOMPeer(aeTitle: "STORESCP", host: "127.0.0.1", port: port)])
        let stored = try Self.populate(fixture.store)
        let storescp = Process()
        storescp.executableURL = URL(fileURLWithPath: tool("storescp")!)
        storescp.arguments = ["-aet", "STORESCP", "-od", received, "+B", "\(port)"]
        storescp.standardOutput = FileHandle.nullDevice
        storescp.standardError = FileHandle.nullDevice
        try storescp.run()
        defer { kill(storescp.processIdentifier, SIGKILL); storescp.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(500))

        let result = try await runTool(tool("movescu")!, ["-S", "-v", "-aet", "MOVESCU", "-aec", ListenerFixture.aeTitle, "-aem", "STORESCP"] + Self.acse
            + ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(stored.studyA)", "127.0.0.1", "\(fixture.port)"])
        #expect(result.status == 0, "movescu: \(result.stderr)")
        let arrived = try Self.received(in: received)
        let studyA = stored.files.filter { (try? DICOMFile(bytes: $0.value).dataSet.string(.studyInstanceUID)) == stored.studyA }
        #expect(Set(arrived.keys) == Set(studyA.keys))
        for (uid, file) in studyA {
            #expect(try arrived[uid] == Self.dataSet(of: file), "\(uid)")
        }

        let unknown = try await runTool(tool("movescu")!, ["-S", "-v", "-aet", "MOVESCU", "-aec", ListenerFixture.aeTitle, "-aem", "NOBODY"] + Self.acse
            + ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(stored.studyA)", "127.0.0.1", "\(fixture.port)"])
        #expect((unknown.stdout + unknown.stderr).contains("Refused: MoveDestinationUnknown"), "movescu: \(unknown.stdout) \(unknown.stderr)")
        #expect(try Self.received(in: received).count == studyA.count)
        await fixture.stop()
    }

    @Test("getscu -S on the same association: the series' files land with their data sets byte for byte")
    func get() async throws {
        let fixture = try await ListenerFixture(label: "qr-get", queryRetrievePeers: [])
        let stored = try Self.populate(fixture.store)
        let folder = TemporaryDirectory("getscu")
        let result = try await runTool(tool("getscu")!, ["-S", "-v", "-aet", "GETSCU", "-aec", ListenerFixture.aeTitle] + Self.acse
            + ["-od", folder.path, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(stored.studyA)", "127.0.0.1", "\(fixture.port)"])
        #expect(result.status == 0, "getscu: \(result.stdout) \(result.stderr)")
        let arrived = try Self.received(in: folder.path)
        let studyA = stored.files.filter { (try? DICOMFile(bytes: $0.value).dataSet.string(.studyInstanceUID)) == stored.studyA }
        #expect(Set(arrived.keys) == Set(studyA.keys), "getscu: \(result.stdout) \(result.stderr)")
        for (uid, file) in studyA {
            #expect(try arrived[uid] == Self.dataSet(of: file), "\(uid)")
        }
        await fixture.stop()
    }
}

/// An archive of many made-up instances, answered at once: enough C-FIND matches that a
/// C-CANCEL arrives while the box is still sending them.
struct ManyInstancesArchive: InstanceArchive {
    var count: Int

    func instances(studyInstanceUIDs: [String]?, seriesInstanceUIDs: [String]?, sopInstanceUIDs: [String]?) async throws -> [ArchivedInstance] {
        (0..<count).map { index in
            ArchivedInstance(
                sopClassUID: QueryRetrieveInteropTests.dx, sopInstanceUID: "1.2.826.0.1.3680043.10.1.\(index + 1)",
                studyInstanceUID: "1.2.826.0.1.3680043.10.1", seriesInstanceUID: "1.2.826.0.1.3680043.10.1.0",
                transferSyntaxUID: TransferSyntax.explicitVRLittleEndian.uid,
                attributes: [.modality: "DX", .instanceNumber: String(index + 1)], locator: ""
            )
        }
    }

    func part10(of instance: ArchivedInstance) async throws -> [UInt8] {
        throw DICOMNetworkError(.invalidFile, "made-up instance")
    }
}

@Suite("C-CANCEL of a C-FIND with dcmtk findscu", .enabled(if: tool("findscu") != nil, "dcmtk is not installed (tools/install-deps installs it)"))
struct QueryCancelInteropTests {
    @Test("findscu --cancel 1: the box stops sending matches and answers Cancel (0xFE00)")
    func cancel() async throws {
        let matches = 20_000
        let fixture = try await ListenerFixture(label: "qr-cancel", queryRetrievePeers: [], archive: ManyInstancesArchive(count: matches))
        let folder = TemporaryDirectory("findscu-cancel")
        // Timeouts of a minute: the socket suites share two pool threads, and the fleet proof
        // beside this test once kept the association's answer past findscu's usual 10 s.
        let result = try await runTool(tool("findscu")!, ["-S", "-v", "-aet", "FINDSCU", "-aec", ListenerFixture.aeTitle, "-ta", "60", "-td", "60"]
            + ["--cancel", "1", "-X", "-od", folder.path, "-k", "QueryRetrieveLevel=IMAGE", "-k", "StudyInstanceUID=1.2.826.0.1.3680043.10.1",
               "-k", "SeriesInstanceUID=1.2.826.0.1.3680043.10.1.0", "-k", "SOPInstanceUID", "127.0.0.1", "\(fixture.port)"],
            // findscu's socket buffers at 8 KB (dcmtk reads TCP_BUFFER_LENGTH): what the box may
            // send ahead of the cancel is then its own doing, not the kernel's (loopback buffers
            // grow to megabytes, 20,000 matches are 7 MB).
            environment: ["TCP_BUFFER_LENGTH": "8192"])
        try expectFindCancelled(result, responsesIn: folder, matches: matches)
        await fixture.stop()
    }
}
