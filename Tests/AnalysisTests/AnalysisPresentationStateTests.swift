import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// The analysis as a Grayscale Softcopy Presentation State over the original image, read back
/// with the project's parser, rendered by dcmtk's dcmp2pgm and rebuilt by highdicom.
@Suite("Analysis as a Grayscale Softcopy Presentation State")
struct AnalysisPresentationStateTests {
    static let subject = AnalysisStructuredReportTests.subject
    static let queuedAt = AnalysisStructuredReportTests.queuedAt

    static func source(_ report: AnalysisReport, monochrome1: Bool = false) -> AnalysisPresentationState.SourceImage {
        .init(
            sopClassUID: AnalysisStructuredReportTests.source.sopClassUID, seriesInstanceUID: AnalysisStructuredReportTests.source.seriesInstanceUID,
            columns: report.source.width, rows: report.source.height, isMonochrome1: monochrome1, window: .init(center: "2048", width: "4096")
        )
    }

    /// The demo model's report with Russian names for its findings.
    static func russianReport() throws -> AnalysisReport {
        var report = try AnalysisStructuredReportTests.demoReport()
        for index in report.findings.indices { report.findings[index].localizedDisplay = ["ru": "Находка \(index + 1)"] }
        return report
    }

    static func texts(_ annotation: DataSet) -> [String] {
        (annotation.sequence(.textObjectSequence) ?? []).compactMap { $0.string(.unformattedTextValue) }
    }

    @Test("a flagged analysis: PR in the image's study and its own series, referencing the source image, a circle per flagged finding inside the image, its name in Russian (ISO_IR 192) with probability, the notice, the whole image displayed")
    func readsBack() throws {
        let report = try Self.russianReport()
        #expect(!report.flagged.isEmpty)
        let state = try AnalysisPresentationState(
            subject: Self.subject, source: Self.source(report), report: report, language: .ru, softwareVersion: "test", contentDate: Self.queuedAt
        )
        let file = try DICOMFile(bytes: state.part10)
        let data = file.dataSet
        #expect(file.meta?.mediaStorageSOPClassUID == "1.2.840.10008.5.1.4.1.1.11.1")
        #expect(data.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.11.1" && data.string(.modality) == "PR")
        #expect(data.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(data.string(.studyInstanceUID) == Self.subject.studyInstanceUID && data.string(.patientName) == Self.subject.patientName)
        #expect(data.string(.seriesInstanceUID) == state.seriesInstanceUID && state.seriesInstanceUID != AnalysisStructuredReportTests.source.seriesInstanceUID)
        let series = try #require(data.sequence(.referencedSeriesSequence)?.first)
        #expect(series.string(.seriesInstanceUID) == AnalysisStructuredReportTests.source.seriesInstanceUID)
        let image = try #require(series.sequence(.referencedImageSequence)?.first)
        #expect(image.string(.referencedSOPInstanceUID) == Self.subject.sourceSOPInstanceUID)
        #expect(image.string(.referencedSOPClassUID) == AnalysisStructuredReportTests.source.sopClassUID)

        let area = try #require(data.sequence(.displayedAreaSelectionSequence)?.first)
        #expect(try area.numbers(.displayedAreaTopLeftHandCorner) == [1, 1])
        #expect(try area.numbers(.displayedAreaBottomRightHandCorner) == [Double(report.source.width), Double(report.source.height)])
        #expect(area.string(.presentationSizeMode) == "SCALE TO FIT")
        #expect(data.string(.presentationLUTShape) == "IDENTITY")
        #expect(data.sequence(.softcopyVOILUTSequence)?.first?.string(.windowWidth) == "4096")

        #expect(data.sequence(.graphicLayerSequence)?.map { $0.string(.graphicLayer) } == [AnalysisPresentationState.graphicLayer])
        let annotation = try #require(data.sequence(.graphicAnnotationSequence)?.first)
        #expect(annotation.string(.graphicLayer) == AnalysisPresentationState.graphicLayer)
        #expect(annotation.sequence(.referencedImageSequence)?.first?.string(.referencedSOPInstanceUID) == Self.subject.sourceSOPInstanceUID)
        let circles = annotation.sequence(.graphicObjectSequence) ?? []
        #expect(circles.count == report.flagged.count)
        let (width, height) = (Double(report.source.width), Double(report.source.height))
        for (circle, finding) in zip(circles, report.flagged) {
            #expect(circle.string(.graphicType) == "CIRCLE" && circle.string(.graphicAnnotationUnits) == "PIXEL")
            let points = try #require(try circle.numbers(.graphicData))
            #expect(points.count == 4)
            let radius = abs(points[2] - points[0])
            #expect(radius > 0)
            for x in [points[0] - radius, points[0] + radius] { #expect((0...width).contains(x), "\(points) on \(width)x\(height)") }
            for y in [points[1] - radius, points[1] + radius] { #expect((0...height).contains(y), "\(points) on \(width)x\(height)") }
            // Around the peak (moved in only as far as keeps it inside the image).
            let peak = try #require(finding.peak)
            #expect(abs(points[0] - peak[0] * width) <= radius && abs(points[1] - peak[1] * height) <= radius)
        }
        let texts = Self.texts(annotation)
        for (index, finding) in report.findings.enumerated() where finding.flaggedForReview {
            let percent = Int((finding.probability * 100).rounded())
            #expect(texts.contains { $0.hasPrefix("Находка \(index + 1) \(percent)% ОТМЕЧЕНО") }, "\(texts)")
        }
        #expect(texts.contains("ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ"))
        #expect(texts.contains { $0.hasPrefix("ДЕМОНСТРАЦИОННАЯ МОДЕЛЬ") }, "a demonstration model says so")
        for text in annotation.sequence(.textObjectSequence) ?? [] {
            let box = try #require(try text.numbers(.boundingBoxTopLeftHandCorner)) + (try #require(try text.numbers(.boundingBoxBottomRightHandCorner)))
            #expect((0...width).contains(box[0]) && (0...width).contains(box[2]) && (0...height).contains(box[1]) && (0...height).contains(box[3]), "\(box)")
        }
        // The Russian is UTF-8 on the wire, as ISO_IR 192 says.
        let bytes = state.part10
        #expect(bytes.firstRange(of: Array("НЕ ДИАГНОЗ".utf8)) != nil)

        // The same analysis gives the same object (a re-run after a power cut is a duplicate).
        let again = try AnalysisPresentationState(
            subject: Self.subject, source: Self.source(report), report: report, language: .ru, softwareVersion: "test", contentDate: Self.queuedAt
        )
        #expect(again.part10 == state.part10)
    }

    @Test("a flagged finding without a heat-map peak gets no circle; its name and probability go with the notices")
    func flaggedWithoutPeak() throws {
        var report = try Self.russianReport()
        let index = try #require(report.findings.firstIndex { $0.flaggedForReview })
        report.findings[index].peak = nil
        let state = try AnalysisPresentationState(
            subject: Self.subject, source: Self.source(report), report: report, language: .ru, softwareVersion: "test", contentDate: Self.queuedAt
        )
        let data = try DICOMFile(bytes: state.part10).dataSet
        let annotation = try #require(data.sequence(.graphicAnnotationSequence)?.first)
        #expect((annotation.sequence(.graphicObjectSequence) ?? []).count == report.flagged.count - 1)
        #expect(Self.texts(annotation).contains { $0.hasPrefix("Находка \(index + 1) ") }, "\(Self.texts(annotation))")
    }

    @Test("nothing flagged: no circle, the text says so with the notice; MONOCHROME1 is shown inverted; English on an English box")
    func nothingFlagged() throws {
        var report = try AnalysisStructuredReportTests.demoReport()
        for index in report.findings.indices { report.findings[index].flaggedForReview = false }
        let state = try AnalysisPresentationState(
            subject: Self.subject, source: Self.source(report, monochrome1: true), report: report, language: .en, softwareVersion: "test", contentDate: Self.queuedAt
        )
        let data = try DICOMFile(bytes: state.part10).dataSet
        let annotation = try #require(data.sequence(.graphicAnnotationSequence)?.first)
        #expect(annotation.sequence(.graphicObjectSequence) == nil)
        #expect(Self.texts(annotation).suffix(2) == ["FLAGGED FOR REVIEW - NOT A DIAGNOSIS", "NO FINDINGS FLAGGED"])
        #expect(data.string(.presentationLUTShape) == "INVERSE")
    }
}
