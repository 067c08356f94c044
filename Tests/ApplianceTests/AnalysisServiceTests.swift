import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import GRDB
import Imaging
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

/// The agent's background analysis: from an image in the store to its result, overlay
/// Secondary Capture and outbox items, with the real demo model on XNNPACK.
@Suite("Background analysis of stored images")
struct AnalysisServiceTests {
    struct Fixture {
        let folder: TemporaryDirectory
        let store: StudyStore
        let service: AnalysisService
        let cache: AnalyzerCache

        init(
            name: String, installModel: Bool = true, structuredReport: Bool = true, presentationState: Bool = true, alsoTrusting extraKeys: [ModelPublicKey] = [],
            configuration boxConfiguration: ApplianceConfiguration = ApplianceConfiguration()
        ) async throws {
            folder = TemporaryDirectory(name)
            var configuration = StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")))
            configuration.destinations = [.platform, .dicomweb]
            store = try StudyStore.open(configuration, logger: quietLogger)
            if installModel { try await DemoModel.install(into: folder.file("models")) }
            var settings = AnalysisSettings()
            settings.threads = 1
            settings.isolation = .childProcess(executable: ProcessRunner.fluorobox)
            settings.structuredReport = structuredReport
            settings.presentationState = presentationState
            settings.deviceName = "box-under-test"
            settings.legendLanguage = boxConfiguration.language
            service = AnalysisService(
                settings: settings, store: store, packagesDirectory: folder.file("models"), packageSettings: ModelPackageSettings(trustedKeys: [.demo] + extraKeys),
                gate: ReadinessGate(expecting: [AnalysisService.name]), logger: quietLogger
            )
            cache = AnalyzerCache(settings: settings, logger: quietLogger)
        }

        /// Stores a 16-bit DICOM image of `image`, queued for the demo model's task.
        func ingest(_ image: GrayscaleImage, patient: String = "TEST^NODULE") async throws -> IntakeReceipt {
            let registration = RegistrationRecord(patientID: "P-1", patientName: patient, patientBirthDate: "19700101", patientSex: "F", worklistNote: nil)
            let bytes = try USBCaptureDocument.part10(
                image: image, framesIntegrated: 1, sopInstanceUID: DICOMUID.random(), capturedAt: Date(),
                device: .init(manufacturer: nil, model: nil, serialNumber: nil, description: "test", stationName: nil),
                registration: registration, modality: "DX"
            )
            return try await ingest(bytes: bytes)
        }

        func ingest(bytes: [UInt8]) async throws -> IntakeReceipt {
            try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, analyses: [DemoModel.task])) { staged in
                try ContentDescriber.describe(staged)
            }
        }

        /// Runs the queue until it is empty.
        func drain() async -> Int {
            var runs = 0
            while await service.runOnce(loader: cache) { runs += 1 }
            return runs
        }

        func read<T>(_ body: (Database) throws -> T) throws -> T {
            try store.database.read(body)
        }
    }

    @Test("an image taken in is read in the background: result, overlay Secondary Capture that dcmtk reads, outbox items")
    func analysesAnImage() async throws {
        let fixture = try await Fixture(name: "analysis-service")
        let source = try DemoModel.raster("nodule-source.npy")
        let receipt = try await fixture.ingest(source)
        #expect(await fixture.drain() == 1)

        let (analysis, result) = try fixture.read { db in
            (try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == receipt.instanceID).fetchOne(db),
             try ResultRecord.filter(ResultRecord.Columns.instanceID == receipt.instanceID).fetchOne(db))
        }
        #expect(analysis?.status == .done && analysis?.modelID == "chest-phantom-demo" && analysis?.attempts == 1)
        let recorded = try #require(result)
        let report = try JSONDecoder.iso8601.decode(AnalysisReport.self, from: Data(recorded.report.utf8))
        #expect(report.source.sopInstanceUID == receipt.sopInstanceUID && report.source.sha256 == receipt.sha256)
        #expect(report.flagged.map(\.id).contains("nodule"), "\(report.findings)")
        #expect(recorded.flagged && recorded.qualityVerdict == "ok")

        // The overlay is an instance of the same study, made by the box, not queued for analysis itself.
        let overlayID = try #require(recorded.overlayInstanceID)
        let overlay = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: overlayID) })
        #expect(overlay.source == .analysis && overlay.studyID == receipt.studyID)
        #expect(overlay.sopClassUID == OverlaySecondaryCapture.sopClassUID && overlay.transferSyntaxUID == TransferSyntax.jpegBaseline.uid)
        #expect(try fixture.read { try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == overlayID).fetchCount($0) } == 0)
        let path = fixture.store.directory.absolute(overlay.blobPath)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try DICOMFile(bytes: bytes)
        #expect(file.dataSet.string(.patientName) == "TEST^NODULE")
        let jpeg = try #require(OverlaySecondaryCapture.overlayJPEG(fromPart10: bytes))
        let decoded = try JPEGCodec.decodeGray8(jpeg)
        #expect(decoded.width == source.width && decoded.height == source.height)
        if let dcmdump = tool("dcmdump"), let dcmj2pnm = tool("dcmj2pnm") {
            #expect(try await ProcessRunner.run(dcmdump, ["-q", "+E", path]).status == 0)
            let picture = fixture.folder.file("overlay.ppm")
            let converted = try await ProcessRunner.run(dcmj2pnm, [path, picture])
            #expect(converted.status == 0, "\(converted.stderr)")
            #expect(FileManager.default.fileExists(atPath: picture))
        }

        // Outbox: the result to the platform as an alert (a finding is flagged), the overlay to every destination.
        let items = try fixture.read { try OutboxItemRecord.fetchAll($0) }
        let resultItems = items.filter { $0.kind == .result }
        #expect(resultItems.map(\.destination) == [.platform] && resultItems.first?.priority == .alert && resultItems.first?.resultID == recorded.id)
        #expect(Set(items.filter { $0.instanceID == overlayID && $0.kind == .instance }.map(\.destination)) == [.platform, .dicomweb])
        #expect(try fixture.store.analysisCounts() == [.done: 1])
    }

    @Test("the analysis writes its Structured Report into the image's study through the store, queued for every destination like the overlay; a re-run of the same analysis stores it once")
    func writesStructuredReport() async throws {
        let fixture = try await Fixture(name: "analysis-sr")
        let receipt = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"))
        #expect(await fixture.drain() == 1)
        let source = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: receipt.instanceID) })
        func structuredReports() throws -> [InstanceRecord] {
            try fixture.read { try InstanceRecord.filter(Column("sopClassUID") == AnalysisStructuredReport.sopClassUID).fetchAll($0) }
        }
        let stored = try structuredReports()
        try #require(stored.count == 1)
        let sr = stored[0]
        #expect(sr.source == .analysis && sr.studyID == receipt.studyID && sr.format == .dicom && sr.blobState == .present)
        #expect(sr.seriesInstanceUID != source.seriesInstanceUID)
        #expect(try fixture.read { try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == sr.id!).fetchCount($0) } == 0)

        // The stored bytes: the source's patient and study, the evidence and the image item name the stored image.
        let path = fixture.store.directory.absolute(sr.blobPath)
        let file = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(file.dataSet.string(.patientName) == "TEST^NODULE" && file.dataSet.string(.studyInstanceUID) == receipt.studyInstanceUID)
        #expect(file.dataSet.string(.seriesDescription) == AnalysisStructuredReport.demonstrationSeriesDescription)
        let evidence = try #require(file.dataSet.sequence(.currentRequestedProcedureEvidenceSequence)?.first?.sequence(.referencedSeriesSequence)?.first)
        #expect(evidence.string(.seriesInstanceUID) == source.seriesInstanceUID)
        #expect(evidence.sequence(.referencedSOPSequence)?.first?.string(.referencedSOPInstanceUID) == receipt.sopInstanceUID)
        let tree = try SRContentItem(reading: file.dataSet)
        let image = SRContentItem.Value.image(sopClassUID: try #require(source.sopClassUID), sopInstanceUID: receipt.sopInstanceUID)
        let points = tree.descendants.filter { if case .spatialCoordinates = $0.value { true } else { false } }
        #expect(!points.isEmpty && points.allSatisfy { $0.children.map(\.value) == [image] })
        let observer = tree.children.first { $0.name == AnalysisStructuredReport.Codes.deviceObserverName }
        #expect(observer?.value == .text("box-under-test"))
        if let dsrdump = tool("dsrdump") {
            let dump = try await ProcessRunner.run(dsrdump, [path])
            #expect(dump.status == 0 && dump.stdout.contains("Nodule"), "\(dump.stderr)")
        }

        // Queued for every destination, like the overlay and any instance.
        let items = try fixture.read { try OutboxItemRecord.filter(Column("instanceID") == sr.id!).fetchAll($0) }
        #expect(Set(items.map(\.destination)) == [.platform, .dicomweb] && items.allSatisfy { $0.kind == .instance })

        // The same analysis again (as after a power cut before its result was recorded): the same bytes, stored once.
        // A second later, so a report dated by the clock instead of by the analysis would differ.
        try await Task.sleep(for: .milliseconds(1100))
        try await fixture.store.database.write { db in
            try db.execute(sql: "UPDATE analysis SET status = 'pending' WHERE instanceID = ?", arguments: [receipt.instanceID])
        }
        #expect(await fixture.drain() == 1)
        #expect(try structuredReports().map(\.id) == [sr.id])
    }

    static var venvPython: String? {
        let path = TestData.packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test("real chest radiographs (CR, DX, Secondary Capture; uncompressed, JPEG): each analysis's SR references the stored source, its peaks lie on that image, dcmtk and highdicom read it", .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)))
    func structuredReportsOfRealRadiographs() async throws {
        let fixture = try await Fixture(name: "analysis-sr-real")
        let names = ["CR_chest_RG1_UNCR_explicitLE_mono1_15bit_reference.dcm", "CR_chest_SIIM_jpeg_baseline_8bit.dcm", "DX_chest_NIH_CXR14_google_SC_implicitLE_8bit.dcm"]
        var receipts: [(IntakeReceipt, [UInt8])] = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestData.root + "/dicom/radiography/" + name)))
            receipts.append((try await fixture.ingest(bytes: bytes), bytes))
        }
        #expect(await fixture.drain() == names.count)
        let reports = try fixture.read { try InstanceRecord.filter(Column("sopClassUID") == AnalysisStructuredReport.sopClassUID).fetchAll($0) }
        #expect(reports.count == names.count)
        for (receipt, bytes) in receipts {
            let source = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: receipt.instanceID) })
            let original = try DICOMFile(bytes: bytes).dataSet
            let columns = try #require(try original.integer(.columns)), rows = try #require(try original.integer(.rows))
            let image = SRContentItem.Value.image(sopClassUID: try #require(source.sopClassUID), sopInstanceUID: receipt.sopInstanceUID)
            var found = false
            for report in reports {
                let path = fixture.store.directory.absolute(report.blobPath)
                let file = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
                let tree = try SRContentItem(reading: file.dataSet)
                let points = tree.descendants.filter { $0.children.map(\.value) == [image] && $0.relationship == .inferredFrom }
                guard !points.isEmpty else { continue }
                found = true
                #expect(report.studyID == receipt.studyID && file.dataSet.string(.patientID) == original.string(.patientID))
                let evidence = file.dataSet.sequence(.currentRequestedProcedureEvidenceSequence)?.first?.sequence(.referencedSeriesSequence)?.first
                #expect(evidence?.string(.seriesInstanceUID) == source.seriesInstanceUID && evidence?.sequence(.referencedSOPSequence)?.first?.string(.referencedSOPInstanceUID) == receipt.sopInstanceUID)
                for point in points {
                    guard case .spatialCoordinates("POINT", let xy) = point.value, xy.count == 2 else { Issue.record("\(point.value)"); continue }
                    #expect((0...Float(columns)).contains(xy[0]) && (0...Float(rows)).contains(xy[1]), "\(xy) on \(columns)x\(rows)")
                }
                if let dsrdump = tool("dsrdump") {
                    let dump = try await ProcessRunner.run(dsrdump, [path])
                    #expect(dump.status == 0, "\(dump.stderr)")
                }
                if let python = Self.venvPython {
                    let run = try await ProcessRunner.run(python, [TestData.packageRoot + "/tools/python/validate_sr.py", path])
                    #expect(run.status == 0 && run.stdout.contains(receipt.sopInstanceUID), "\(run.stderr)")
                }
            }
            #expect(found, "no SR references \(receipt.sopInstanceUID)")
        }
    }

    @Test("with analysis.structuredReport off no Structured Report is written; the overlay still is")
    func structuredReportOff() async throws {
        let fixture = try await Fixture(name: "analysis-no-sr", structuredReport: false)
        let receipt = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"))
        #expect(await fixture.drain() == 1)
        #expect(try fixture.read { try InstanceRecord.filter(Column("sopClassUID") == AnalysisStructuredReport.sopClassUID).fetchCount($0) } == 0)
        #expect(try fixture.store.results(forInstance: receipt.instanceID).first?.overlayInstanceID != nil)
    }

    @Test("running the same model on the same image again makes the same overlay object, stored once")
    func overlayIsStable() async throws {
        let fixture = try await Fixture(name: "analysis-again")
        let receipt = try await fixture.ingest(ChestPhantom(width: 640, height: 640, seed: 7).render())
        // A second analysis of the same instance, as after a power cut between overlay and result.
        try await fixture.store.database.write { db in
            var again = AnalysisRecord(
                id: nil, instanceID: receipt.instanceID, task: DemoModel.task, modelID: nil, modelVersion: nil,
                status: .pending, attempts: 0, queuedAt: Date(), startedAt: nil, finishedAt: nil, error: nil
            )
            try again.insert(db)
        }
        #expect(await fixture.drain() == 2)
        let results = try fixture.store.results(forInstance: receipt.instanceID)
        #expect(results.count == 2)
        #expect(Set(results.map(\.overlayInstanceID)).count == 1 && results[0].overlayInstanceID != nil)
        #expect(try fixture.read { try InstanceRecord.filter(Column("sopClassUID") == OverlaySecondaryCapture.sopClassUID && Column("source") == "analysis").fetchCount($0) } == 1)
    }

    @Test("an image the decoders refuse fails for good with the reason; a blank PNG is skipped with retake advice")
    func refusedAndSkipped() async throws {
        let fixture = try await Fixture(name: "analysis-refused")
        // A DICOM object with pixel bytes but no Rows and Columns: stored, never readable.
        let refused = try await fixture.ingest(bytes: try SyntheticDICOM.make())
        let blank = try await fixture.ingest(bytes: PNGFixture.gray8(width: 600, height: 600, samples: [UInt8](repeating: 90, count: 360_000)))
        #expect(await fixture.drain() == 2)
        let failed = try #require(try fixture.read { try AnalysisRecord.filter(AnalysisRecord.Columns.instanceID == refused.instanceID).fetchOne($0) })
        #expect(failed.status == .failed && failed.attempts == 1)
        #expect(failed.error?.contains("cannot read the image") == true, "\(failed.error ?? "")")
        #expect(try fixture.store.results(forInstance: refused.instanceID).isEmpty)
        let skipped = try #require(try fixture.store.results(forInstance: blank.instanceID).first)
        #expect(skipped.qualityVerdict == "retake" && !skipped.flagged && skipped.overlayInstanceID == nil)
        #expect(skipped.report.contains("\"blank\""))
        let item = try #require(try fixture.read { try OutboxItemRecord.filter(Column("resultID") == skipped.id).fetchOne($0) })
        #expect(item.priority == .alert)
        let listed = try fixture.store.listStudies().flatMap(\.instances)
        #expect(listed.first { $0.sopInstanceUID == refused.sopInstanceUID }?.analysis?.status == .failed)
        #expect(listed.first { $0.sopInstanceUID == blank.sopInstanceUID }?.analysis?.qualityVerdict == "retake")
    }

    @Test("with no active model the images wait in the queue, and are read once a model is activated")
    func waitsForAModel() async throws {
        let fixture = try await Fixture(name: "analysis-wait", installModel: false)
        let receipt = try await fixture.ingest(ChestPhantom(width: 512, height: 512).render())
        #expect(await fixture.drain() == 0)
        #expect(try fixture.store.analysisCounts() == [.pending: 1])
        try await DemoModel.install(into: fixture.folder.file("models"))
        #expect(await fixture.drain() == 1)
        #expect(try fixture.store.results(forInstance: receipt.instanceID).count == 1)
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
