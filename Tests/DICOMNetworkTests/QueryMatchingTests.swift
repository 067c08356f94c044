import DICOM
import DICOMNetwork
import Testing

/// PS3.4 C.2.2.2 attribute matching as the query/retrieve SCP applies it.
struct QueryMatchingTests {
    @Test("single values, wildcards, ranges, lists and universal matching")
    func matching() {
        #expect(QueryValueMatcher.matches("", nil, vr: .PN))
        #expect(QueryValueMatcher.matches("*", "DOE^JANE", vr: .PN))
        #expect(QueryValueMatcher.matches("doe*", "DOE^JANE", vr: .PN))
        #expect(!QueryValueMatcher.matches("DOE*", "SMITH^DOE", vr: .PN))
        #expect(QueryValueMatcher.matches("*^JA?E", "DOE^JANE", vr: .PN))
        #expect(!QueryValueMatcher.matches("*^JA?E", "DOE^JANET", vr: .PN))
        #expect(!QueryValueMatcher.matches("p1", "P1", vr: .LO))
        #expect(!QueryValueMatcher.matches("P1", nil, vr: .LO))
        #expect(QueryValueMatcher.matches("20261101-20261115", "20261115", vr: .DA))
        #expect(!QueryValueMatcher.matches("20261101-20261115", "20261116", vr: .DA))
        #expect(QueryValueMatcher.matches("-20251231", "2025.12.31", vr: .DA))
        #expect(QueryValueMatcher.matches("20261101-", "20270101", vr: .DA))
        #expect(QueryValueMatcher.matches("1000-1030", "103059.5", vr: .TM))
        #expect(!QueryValueMatcher.matches("1000-1030", "103100", vr: .TM))
        #expect(QueryValueMatcher.matches("1.2.3\\1.2.4", "1.2.4", vr: .UI))
        #expect(!QueryValueMatcher.matches("1.2.*", "1.2.4", vr: .UI))
        #expect(QueryValueMatcher.matches("SR", "DX\\OT\\SR", vr: .CS))
        #expect(QueryValueMatcher.matches("CT\\DX", "DX", vr: .CS))
        #expect(QueryValueMatcher.matches("02", "2", vr: .IS))
    }

    static func archived(study: String, series: String, sop: String, modality: String, name: String) -> ArchivedInstance {
        ArchivedInstance(
            sopClassUID: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUID: sop, studyInstanceUID: study, seriesInstanceUID: series,
            transferSyntaxUID: TransferSyntax.explicitVRLittleEndian.uid,
            attributes: [.patientName: name, .modality: modality], locator: sop
        )
    }

    @Test("a study matches once with the modalities of all its series; a series-level key is not matched at study level")
    func grouping() {
        let instances = [
            Self.archived(study: "1.1", series: "1.1.1", sop: "1.1.1.1", modality: "DX", name: "DOE^JANE"),
            Self.archived(study: "1.1", series: "1.1.2", sop: "1.1.2.1", modality: "SR", name: "DOE^JANE"),
            Self.archived(study: "1.2", series: "1.2.1", sop: "1.2.1.1", modality: "DX", name: "ROE^RICHARD"),
        ]
        let studies = QueryRequest(level: .study, keys: [.patientName: "DOE*", QueryKey.modalitiesInStudy: "SR", .modality: "XX"]).matches(in: instances)
        #expect(studies.map(\.instances.count) == [2])
        #expect(studies.first?.attributes[QueryKey.modalitiesInStudy] == "DX\\SR")
        let series = QueryRequest(level: .series, keys: [.studyInstanceUID: "1.1", .modality: "SR"]).matches(in: instances)
        #expect(series.map { $0.attributes[.seriesInstanceUID] } == ["1.1.2"])
    }
}
