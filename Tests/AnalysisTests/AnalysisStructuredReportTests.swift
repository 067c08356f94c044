import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// The analysis report as a DICOM Structured Report (TID 1500 in a Comprehensive SR), read back
/// with the project's own parser, with dcmtk's dsrdump and with highdicom.
@Suite("Analysis report as a DICOM Structured Report")
struct AnalysisStructuredReportTests {
    typealias Codes = AnalysisStructuredReport.Codes
    static let subject = OverlaySecondaryCapture.Subject(
        studyInstanceUID: "1.2.826.0.1.3680043.10.1.1", sourceSOPInstanceUID: "1.2.826.0.1.3680043.10.1.1.1.1",
        patientName: "ИВАНОВ^ПЁТР", patientID: "P-17", patientBirthDate: "19610203", patientSex: "M",
        studyDate: "20261206", studyTime: "101500", accessionNumber: "A-9"
    )
    static let source = AnalysisStructuredReport.SourceImage(
        sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", seriesInstanceUID: "1.2.826.0.1.3680043.10.1.1.1"
    )
    static let queuedAt = Date(timeIntervalSince1970: 1_796_000_000)

    static func structuredReport(_ report: AnalysisReport, queuedAt: Date = queuedAt) throws -> AnalysisStructuredReport {
        try AnalysisStructuredReport(
            subject: subject, source: source, report: report, deviceName: "box-7", softwareVersion: "test", contentDate: queuedAt
        )
    }

    static func demoReport() throws -> AnalysisReport {
        try DemonstrationMarkTests.analyse(try demoPackage()).report
    }

    /// The items below `item` named `name`.
    static func children(_ item: SRContentItem, _ name: CodedConcept) -> [SRContentItem] {
        item.children.filter { $0.name == name }
    }

    static func texts(_ items: [SRContentItem]) -> [String] {
        items.compactMap { if case .text(let text) = $0.value { text } else { nil } }
    }

    @Test("the SR reads back with the project's parser: TID 1500 root, device observer, image library, a group per finding with probability, threshold, flag and the heat-map peak on the source image, the quality verdict and the notice")
    func readsBack() throws {
        let report = try Self.demoReport()
        #expect(report.findings.count == 3 && report.flagged.count >= 1, "\(report.findings)")
        let sr = try Self.structuredReport(report)
        let file = try DICOMFile(bytes: sr.part10)
        let data = file.dataSet
        #expect(file.meta?.mediaStorageSOPClassUID == AnalysisStructuredReport.sopClassUID)
        #expect(data.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.88.33" && data.string(.modality) == "SR")
        #expect(data.string(.sopInstanceUID) == sr.sopInstanceUID && DICOMUID.isValid(sr.sopInstanceUID))
        // The source's study and patient; a series of its own.
        #expect(data.string(.studyInstanceUID) == Self.subject.studyInstanceUID)
        #expect(data.string(.seriesInstanceUID) == sr.seriesInstanceUID && sr.seriesInstanceUID != Self.source.seriesInstanceUID)
        #expect(data.string(.patientName) == "ИВАНОВ^ПЁТР" && data.string(.patientID) == "P-17" && data.string(.patientSex) == "M")
        #expect(data.string(.accessionNumber) == "A-9" && data.string(.studyDate) == "20261206")
        #expect(data.string(.completionFlag) == "COMPLETE" && data.string(.verificationFlag) == "UNVERIFIED")
        #expect(data.string(.contentDate) == "20261130" && data.string(.contentTime) == "005320")
        // Evidence: the source image by study, series and instance.
        let study = try #require(data.sequence(.currentRequestedProcedureEvidenceSequence)?.first)
        let series = try #require(study.sequence(.referencedSeriesSequence)?.first)
        let instance = try #require(series.sequence(.referencedSOPSequence)?.first)
        #expect(study.string(.studyInstanceUID) == Self.subject.studyInstanceUID && series.string(.seriesInstanceUID) == Self.source.seriesInstanceUID)
        #expect(instance.string(.referencedSOPClassUID) == Self.source.sopClassUID && instance.string(.referencedSOPInstanceUID) == Self.subject.sourceSOPInstanceUID)
        #expect(data.sequence(.codingSchemeIdentificationSequence)?.first?.string(.codingSchemeDesignator) == "99FLUOROBOX")

        let root = try SRContentItem(reading: data)
        #expect(root.relationship == nil && root.name == CodedConcept("126000", "DCM", "Imaging Measurement Report"))
        guard case .container(template: "1500") = root.value else { Issue.record("root \(root.value)"); return }
        func single(_ name: CodedConcept, in item: SRContentItem = root) throws -> SRContentItem {
            let found = Self.children(item, name)
            try #require(found.count == 1, "\(name) \(found.count) times")
            return found[0]
        }
        #expect(try single(Codes.languageOfContent).value == .code(CodedConcept("en-US", "RFC5646", "English (United States)")))
        #expect(try single(Codes.observerType).relationship == .hasObservationContext)
        #expect(try single(Codes.observerType).value == .code(CodedConcept("121007", "DCM", "Device")))
        #expect(try single(Codes.deviceObserverName).value == .text("box-7"))
        guard case .uidReference(let deviceUID) = try single(Codes.deviceObserverUID).value else { Issue.record("no device UID"); return }
        #expect(DICOMUID.isValid(deviceUID))
        #expect(try single(Codes.procedureReported).value == .code(CodedConcept("43468-8", "LN", "XR unspecified body region")))
        let sourceImage = SRContentItem.Value.image(sopClassUID: Self.source.sopClassUID, sopInstanceUID: Self.subject.sourceSOPInstanceUID)
        let library = try single(CodedConcept("111028", "DCM", "Image Library"))
        #expect(try single(Codes.imageLibraryGroup, in: library).children.map(\.value) == [sourceImage])

        let measurements = try single(CodedConcept("126010", "DCM", "Imaging Measurements"))
        let groups = measurements.children
        #expect(groups.count == report.findings.count)
        for (group, finding) in zip(groups, report.findings) {
            #expect(group.name == CodedConcept("125007", "DCM", "Measurement Group") && group.value == .container(template: "1501"))
            #expect(try single(Codes.trackingIdentifier, in: group).value == .text("\(finding.display) (\(finding.id))"))
            #expect(try single(CodedConcept("121071", "DCM", "Finding"), in: group).value == .code(Codes.finding(label: finding.id, display: finding.display)))
            #expect(try single(Codes.algorithmName, in: group).value == .text(report.model.id))
            #expect(try single(Codes.algorithmVersion, in: group).value == .text(report.model.version))
            let parameters = Self.texts(Self.children(group, Codes.algorithmParameters))
            #expect(parameters.contains("model package SHA-256 \(report.model.packageSHA256)") && report.model.packageSHA256.count == 64)
            #expect(parameters.contains("review threshold \(AnalysisStructuredReport.percent(finding.threshold)) %"), "\(parameters)")
            let probability = try single(CodedConcept("111012", "DCM", "Certainty of Finding"), in: group)
            guard case .number(let decimal, let units) = probability.value else { Issue.record("not a NUM"); continue }
            #expect(units == CodedConcept("%", "UCUM", "Percent") && abs((Double(decimal) ?? -1) - finding.probability * 100) < 0.005, "\(decimal) \(finding.probability)")
            #expect(try single(Codes.flaggedForReview, in: group).value == .code(finding.flaggedForReview ? Codes.yes : Codes.no))
            // The heat-map peak: a POINT in the source image's pixel space, selected from that image.
            let peak = try #require(finding.peak)
            let coordinates = try single(CodedConcept("111010", "DCM", "Center"), in: probability)
            #expect(coordinates.relationship == .inferredFrom)
            guard case .spatialCoordinates("POINT", let points) = coordinates.value, points.count == 2 else { Issue.record("\(coordinates.value)"); continue }
            #expect(abs(Double(points[0]) - peak[0] * Double(report.source.width)) < 0.01 && abs(Double(points[1]) - peak[1] * Double(report.source.height)) < 0.01)
            #expect(coordinates.children.map(\.relationship) == [.selectedFrom] && coordinates.children.map(\.value) == [sourceImage])
        }
        let flaggedGroups = groups.filter { Self.children($0, Codes.flaggedForReview).first?.value == .code(Codes.yes) }
        #expect(flaggedGroups.count == report.flagged.count)

        let evaluations = try single(CodedConcept("C0034375", "UMLS", "Qualitative Evaluations"))
        let verdict = try single(CodedConcept("111050", "DCM", "Quality Assessment"), in: evaluations).value
        #expect(verdict == .code(report.quality.verdict == .acceptable ? CodedConcept("111237", "DCM", "Usable - Meets the quality control standard") : CodedConcept("111235", "DCM", "Unusable - Quality renders image unusable")))
        #expect(Self.texts(evaluations.children).contains(AnalysisReport.notice))
        // Every written item reads back: nothing the writer made is a value type the reader refuses.
        #expect(root.descendants.count > 40)
        #expect(sr.content.descendants.count == root.descendants.count)
    }

    @Test("a demonstration model's SR says so in its Series Description, beside every finding and in the evaluations; a clinical model's SR nowhere")
    func demonstrationMarks() throws {
        let demo = try Self.structuredReport(try Self.demoReport())
        let demoFile = try DICOMFile(bytes: demo.part10)
        #expect(AnalysisStructuredReport.demonstrationSeriesDescription.utf8.count <= 64 && AnalysisStructuredReport.seriesDescription.utf8.count <= 64)
        #expect(demoFile.dataSet.string(.seriesDescription) == AnalysisStructuredReport.demonstrationSeriesDescription)
        let demoTree = try SRContentItem(reading: demoFile.dataSet)
        let groups = try #require(Self.children(demoTree, Codes.imagingMeasurements).first).children
        #expect(!groups.isEmpty && groups.allSatisfy { Self.texts(Self.children($0, Codes.comment)) == [AnalysisReport.demonstrationNotice] })
        let evaluations = try #require(Self.children(demoTree, Codes.qualitativeEvaluations).first)
        #expect(Self.texts(evaluations.children).first == AnalysisReport.demonstrationNotice)

        let folder = TemporaryDirectory("sr-clinical")
        let clinicalReport = try DemonstrationMarkTests.analyse(try DemonstrationMarkTests.clinicalPackage(folder)).report
        let clinical = try DICOMFile(bytes: try Self.structuredReport(clinicalReport).part10)
        #expect(clinical.dataSet.string(.seriesDescription) == AnalysisStructuredReport.seriesDescription)
        let clinicalTree = try SRContentItem(reading: clinical.dataSet)
        let allTexts = Self.texts(clinicalTree.descendants)
        #expect(!allTexts.isEmpty && !allTexts.contains { $0.localizedCaseInsensitiveContains("demonstration") }, "\(allTexts)")
        #expect(!Self.children(clinicalTree, Codes.imagingMeasurements).isEmpty)
    }

    @Test("a blank image's SR has no measurements but the retake advice with its reasons, and dcmtk reads it")
    func skippedImage() async throws {
        let analyzer = try ImageAnalyzer(package: try demoPackage(), logger: quietLogger)
        var blank = try DemoModel.raster("nodule-source.npy")
        blank.samples = [UInt16](repeating: 1000, count: blank.samples.count)
        let report = try analyzer.analyze(image: blank, sourceBytes: blank.littleEndianBytes).report
        try #require(report.status == .skipped && report.findings.isEmpty)
        let sr = try Self.structuredReport(report)
        let tree = try SRContentItem(reading: try DICOMFile(bytes: sr.part10).dataSet)
        #expect(Self.children(tree, Codes.imagingMeasurements).isEmpty)
        let evaluations = try #require(Self.children(tree, Codes.qualitativeEvaluations).first)
        #expect(Self.children(evaluations, Codes.qualityAssessment).map(\.value) == [.code(Codes.unusable)])
        let comments = Self.texts(Self.children(evaluations, Codes.comment))
        #expect(comments.contains { $0.hasPrefix("Retake advised: ") && $0.contains(report.quality.problems[0].message) }, "\(comments)")
        if let dsrdump = tool("dsrdump") {
            let folder = TemporaryDirectory("sr-skipped")
            let dump = try await ProcessRunner.run(dsrdump, [try folder.write("skipped.dcm", sr.part10)])
            #expect(dump.status == 0 && dump.stdout.contains("Unusable - Quality renders image unusable"), "\(dump.stderr)")
        }
    }

    @Test("the same analysis makes the same bytes; another analysis of the same image (queued at another time) another instance")
    func stableIdentity() throws {
        let report = try Self.demoReport()
        let first = try Self.structuredReport(report), again = try Self.structuredReport(report)
        #expect(first.part10 == again.part10)
        let later = try Self.structuredReport(report, queuedAt: Self.queuedAt.addingTimeInterval(60))
        #expect(later.sopInstanceUID != first.sopInstanceUID && later.seriesInstanceUID != first.seriesInstanceUID)
    }

    @Test("dcmtk's dsrdump reads the SR without complaint and shows each finding with its probability", .enabled(if: tool("dsrdump") != nil, "dsrdump (dcmtk) is not installed"))
    func dsrdump() async throws {
        let report = try Self.demoReport()
        let folder = TemporaryDirectory("sr-dsrdump")
        let path = try folder.write("report.dcm", try Self.structuredReport(report).part10)
        let dump = try await ProcessRunner.run(tool("dsrdump")!, ["+Pc", "+Pl", "+Pt", "+Psu", "+U8", path])
        #expect(dump.status == 0, "\(dump.stderr)")
        // dcmtk 3.6's VR checker does not know UTF-8 (ISO_IR 192) and says so; any other line is a complaint about the SR.
        let complaints = dump.stderr.split(separator: "\n").filter { !$0.contains("VR checker does not support this Specific Character Set") }
        #expect(complaints.isEmpty, "\(dump.stderr)")
        #expect(dump.stdout.contains("Comprehensive SR Document") && dump.stdout.contains("Imaging Measurement Report"))
        for finding in report.findings {
            #expect(dump.stdout.contains(Codes.finding(label: finding.id, display: finding.display).meaning), "\(finding.id)")
            #expect(dump.stdout.contains("\"\(AnalysisStructuredReport.percent(finding.probability))\" (%,UCUM,\"Percent\")"), "\(finding.id)")
        }
        #expect(dump.stdout.contains("POINT"))
    }

    static var venvPython: String? {
        let path = TestData.packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    @Test("highdicom reads the SR as a TID 1500 Measurement Report with the findings, the algorithm and the peak on the source image", .enabled(if: venvPython != nil, "no .venv (tools/python/make-venv .venv tools/python/requirements-test.txt installs highdicom)"))
    func highdicom() async throws {
        let python = try #require(Self.venvPython)
        let probe = try await ProcessRunner.run(python, ["-c", "import highdicom"])
        try #require(probe.status == 0, "the .venv has no highdicom: run tools/python/make-venv .venv tools/python/requirements-test.txt")
        let report = try Self.demoReport()
        let folder = TemporaryDirectory("sr-highdicom")
        let sr = try Self.structuredReport(report)
        let path = try folder.write("report.dcm", sr.part10)
        let run = try await ProcessRunner.run(python, [TestData.packageRoot + "/tools/python/validate_sr.py", path])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout) \(run.stderr)")
        #expect(json["template"] as? String == "1500" && json["title"] as? [String] == ["126000", "DCM", "Imaging Measurement Report"])
        #expect(json["procedures"] as? [[String]] == [["43468-8", "LN", "XR unspecified body region"]])
        #expect((json["deviceObservers"] as? [[String]])?.first?.last == "box-7")
        #expect(json["evidence"] as? [[String]] == [[Self.subject.studyInstanceUID, Self.source.seriesInstanceUID, Self.subject.sourceSOPInstanceUID]])
        let groups = try #require(json["groups"] as? [[String: Any]])
        #expect(groups.count == report.findings.count)
        for (group, finding) in zip(groups, report.findings) {
            let code = Codes.finding(label: finding.id, display: finding.display)
            #expect(group["finding"] as? [String] == [code.value, code.scheme, code.meaning])
            #expect((group["algorithm"] as? [Any])?.first as? String == report.model.id)
            let measurement = try #require((group["measurements"] as? [[String: Any]])?.first)
            #expect(abs((measurement["value"] as? Double ?? -1) - finding.probability * 100) < 0.005)
            let coordinates = try #require((measurement["coordinates"] as? [[String: Any]])?.first)
            #expect(coordinates["graphicType"] as? String == "POINT")
            #expect(coordinates["image"] as? [String] == [Self.source.sopClassUID, Self.subject.sourceSOPInstanceUID])
            #expect(group["texts"] as? [String] == [AnalysisReport.demonstrationNotice])
            let flag = finding.flaggedForReview ? Codes.yes : Codes.no
            #expect((group["evaluations"] as? [[[String]]])?.contains([[ "FLAGGED", "99FLUOROBOX", "Flagged for review"], [flag.value, flag.scheme, flag.meaning]]) == true)
        }
    }
}
