import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import Testing

/// The presentation state applied by other software to a real radiograph: dcmtk's dcmp2pgm
/// renders it, highdicom rebuilds it from what it reads.
extension AnalysisPresentationStateTests {
    static let radiograph = "dicom/radiography/DX_chest_NIH_CXR14_google_SC_implicitLE_8bit.dcm"

    /// The radiograph, and presentation states over it of the demo model's report with its
    /// findings as flagged (`flagged`) and with none flagged (`clear`), written in `folder`.
    static func statesOverRadiograph(in folder: TemporaryDirectory, language: LegendLanguage = .en) throws -> (image: String, flagged: String, clear: String, report: AnalysisReport) {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + radiograph)))
        let dataSet = try DICOMFile(bytes: bytes).dataSet
        let sourceUID = try #require(dataSet.string(.sopInstanceUID))
        let seriesUID = try #require(dataSet.string(.seriesInstanceUID)), classUID = try #require(dataSet.string(.sopClassUID))
        let source = try #require(AnalysisPresentationState.SourceImage(dataSet, seriesInstanceUID: seriesUID, sopClassUID: classUID))
        var report = try russianReport()
        report.source.width = source.columns
        report.source.height = source.rows
        var subject = subject
        subject.studyInstanceUID = try #require(dataSet.string(.studyInstanceUID))
        subject.sourceSOPInstanceUID = sourceUID
        let flagged = try AnalysisPresentationState(subject: subject, source: source, report: report, language: language, softwareVersion: "test", contentDate: queuedAt)
        var clearReport = report
        for index in clearReport.findings.indices { clearReport.findings[index].flaggedForReview = false }
        let clear = try AnalysisPresentationState(subject: subject, source: source, report: clearReport, language: language, softwareVersion: "test", contentDate: queuedAt)
        return (try folder.write("image.dcm", bytes), try folder.write("flagged.dcm", flagged.part10), try folder.write("clear.dcm", clear.part10), report)
    }

    /// A binary PGM (P5, 8-bit) as width, height and samples.
    static func pgm(_ path: String) throws -> (width: Int, height: Int, samples: [UInt8]) {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        var fields: [String] = [], index = 0
        while fields.count < 4, index < bytes.count {
            if bytes[index] == UInt8(ascii: "#") {
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            } else if bytes[index] > 0x20 {
                var field = ""
                while index < bytes.count, bytes[index] > 0x20 { field.append(Character(UnicodeScalar(bytes[index]))); index += 1 }
                fields.append(field)
                continue
            }
            index += 1
        }
        guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255" else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return (width, height, Array(bytes[index...]))
    }

    /// The annotation of a presentation state: each text, and each graphic's type and points.
    static func annotation(of path: String) throws -> (layer: String?, texts: [String], graphics: [String], image: String?) {
        let data = try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path)))).dataSet
        let annotation = try #require(data.sequence(.graphicAnnotationSequence)?.first)
        let graphics = try (annotation.sequence(.graphicObjectSequence) ?? []).map { object in
            "\(object.string(.graphicType) ?? "?") \(try object.numbers(.graphicData) ?? [])"
        }
        return (
            annotation.string(.graphicLayer), (annotation.sequence(.textObjectSequence) ?? []).compactMap { $0.string(.unformattedTextValue) },
            graphics, data.sequence(.referencedSeriesSequence)?.first?.sequence(.referencedImageSequence)?.first?.string(.referencedSOPInstanceUID)
        )
    }

    // dcmp2pgm draws a presentation state's VOI, LUTs, shutters and overlays, not its graphic
    // annotations (a viewer's job in dcmtk): what it proves is that dcmtk's presentation state
    // model reads the object without a warning and keeps every annotation when it saves it again.
    @Test(
        "dcmp2pgm applies the presentation state to the radiograph without a warning, and dcmtk's presentation state model keeps every circle and text when it saves it again (+S)",
        .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)), .enabled(if: tool("dcmp2pgm") != nil, "needs dcmtk's dcmp2pgm")
    )
    func dcmtkReadsTheAnnotations() async throws {
        let folder = TemporaryDirectory("gsps-dcmp2pgm")
        let files = try Self.statesOverRadiograph(in: folder, language: .ru)
        for (name, state) in [("flagged", files.flagged), ("clear", files.clear)] {
            let output = folder.file("\(name).pgm"), saved = folder.file("\(name)-dcmtk.dcm")
            let run = try await ProcessRunner.run(tool("dcmp2pgm")!, ["-v", "-p", state, "+S", saved, files.image, output])
            #expect(run.status == 0 && !(run.stdout + run.stderr).contains("W: "), "dcmp2pgm: \(run.stdout) \(run.stderr)")
            let rendered = try Self.pgm(output)
            #expect(rendered.width == files.report.source.width && rendered.height == files.report.source.height)
            let ours = try Self.annotation(of: state), dcmtk = try Self.annotation(of: saved)
            #expect(dcmtk.layer == AnalysisPresentationState.graphicLayer)
            #expect(dcmtk.image == ours.image && ours.image != nil)
            #expect(dcmtk.texts == ours.texts && dcmtk.graphics == ours.graphics, "dcmtk kept \(dcmtk) of \(ours)")
            #expect(dcmtk.graphics.count == (name == "flagged" ? files.report.flagged.count : 0))
            #expect(dcmtk.texts.contains("ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ"), "\(dcmtk.texts)")
        }
    }

    @Test(
        "highdicom rebuilds the presentation state over the radiograph from what it reads (objects inside the image, references, layers, LUTs) and its displayed area and references equal the box's",
        .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)),
        .enabled(if: AnalysisStructuredReportTests.venvPython != nil, "no .venv (tools/python/make-venv .venv tools/python/requirements-test.txt installs highdicom)")
    )
    func highdicomRebuildsIt() async throws {
        let python = try #require(AnalysisStructuredReportTests.venvPython)
        let probe = try await ProcessRunner.run(python, ["-c", "import highdicom"])
        try #require(probe.status == 0, "the .venv has no highdicom: run tools/python/make-venv .venv tools/python/requirements-test.txt")
        let folder = TemporaryDirectory("gsps-highdicom")
        let files = try Self.statesOverRadiograph(in: folder, language: .ru)
        let image = try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: files.image)))).dataSet
        for state in [files.flagged, files.clear] {
            let run = try await ProcessRunner.run(python, [TestData.packageRoot + "/tools/python/validate_gsps.py", state, files.image])
            #expect(run.status == 0, "\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout) \(run.stderr)")
            #expect((json["differences"] as? [Any])?.isEmpty == true, "\(json["differences"] ?? "")")
            #expect(json["references"] as? [[String]] == [[image.string(.seriesInstanceUID), image.string(.sopClassUID), image.string(.sopInstanceUID)].compactMap { $0 }])
            #expect(json["layers"] as? [String] == [AnalysisPresentationState.graphicLayer])
            let texts = json["texts"] as? [String] ?? []
            #expect(texts.contains("ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ"), "\(texts)")
            let circles = (json["graphics"] as? [[Any]] ?? []).filter { $0.first as? String == "CIRCLE" }
            #expect(circles.count == (state == files.flagged ? files.report.flagged.count : 0))
        }
    }
}
