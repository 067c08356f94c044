import Analysis
import DICOM
import FluoroboxTestSupport
import Foundation
import GRDB
import Inference
@testable import StudyStore
import Testing
@testable import Appliance

extension AnalysisServiceTests {
    @Test("the analysis writes a Grayscale Softcopy Presentation State over the image into its study (Russian on a Russian box), queued for every destination like the overlay; analysis.presentationState false writes none")
    func writesPresentationState() async throws {
        var russian = ApplianceConfiguration()
        russian.language = .ru
        let fixture = try await Fixture(name: "analysis-gsps", configuration: russian)
        let receipt = try await fixture.ingest(try DemoModel.raster("nodule-source.npy"))
        #expect(await fixture.drain() == 1)
        let source = try #require(try fixture.read { try InstanceRecord.fetchOne($0, key: receipt.instanceID) })
        let studyInstances = try fixture.read { try InstanceRecord.filter(Column("studyID") == receipt.studyID).fetchAll($0) }
        let states = studyInstances.filter { $0.sopClassUID == AnalysisPresentationState.sopClassUID }
        try #require(states.count == 1, "\(studyInstances.map(\.sopClassUID))")
        let state = states[0]
        #expect(state.source == .analysis && state.format == .dicom && state.blobState == .present)
        // A series of its own, apart from the image's, the overlay's and the report's.
        #expect(studyInstances.filter { $0.seriesInstanceUID == state.seriesInstanceUID }.count == 1)

        let path = fixture.store.directory.absolute(state.blobPath)
        let data = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).dataSet
        #expect(data.string(.modality) == "PR" && data.string(.studyInstanceUID) == receipt.studyInstanceUID && data.string(.patientName) == "TEST^NODULE")
        let series = try #require(data.sequence(.referencedSeriesSequence)?.first)
        #expect(series.string(.seriesInstanceUID) == source.seriesInstanceUID)
        #expect(series.sequence(.referencedImageSequence)?.first?.string(.referencedSOPInstanceUID) == receipt.sopInstanceUID)
        let annotation = try #require(data.sequence(.graphicAnnotationSequence)?.first)
        #expect((annotation.sequence(.graphicObjectSequence) ?? []).filter { $0.string(.graphicType) == "CIRCLE" }.count >= 1, "the demo nodule is flagged")
        let texts = (annotation.sequence(.textObjectSequence) ?? []).compactMap { $0.string(.unformattedTextValue) }
        #expect(texts.contains("ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ"), "\(texts)")

        let items = try fixture.read { try OutboxItemRecord.filter(Column("instanceID") == state.id!).fetchAll($0) }
        #expect(Set(items.map(\.destination)) == [.platform, .dicomweb] && items.allSatisfy { $0.kind == .instance })

        let off = try await Fixture(name: "analysis-gsps-off", presentationState: false)
        _ = try await off.ingest(try DemoModel.raster("nodule-source.npy"))
        #expect(await off.drain() == 1)
        #expect(try off.read { try InstanceRecord.filter(Column("sopClassUID") == AnalysisPresentationState.sopClassUID).fetchCount($0) } == 0)
        #expect(try off.read { try InstanceRecord.filter(Column("sopClassUID") == AnalysisStructuredReport.sopClassUID).fetchCount($0) } == 1)
    }
}
