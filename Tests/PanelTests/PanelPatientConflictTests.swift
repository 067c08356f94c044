import BrowserTesting
import Foundation
import FluoroboxTestSupport
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore
import Testing

/// A study that got an instance naming another patient is marked where the technician looks.
@Suite("Panel patient-ID conflicts")
struct PanelPatientConflictTests {
    /// Files an instance of study 1.2.77 carrying `patientID`, as a DICOM sender would.
    static func ingest(_ fixture: PanelFixture, sopInstanceUID: String, patientID: String) async throws {
        _ = try await fixture.store.ingest(.bytes(SyntheticDICOM.randomBytes(2000)), origin: IntakeOrigin(source: .dicomSCP)) { _ in
            var description = InstanceDescription(sopInstanceUID: sopInstanceUID, studyInstanceUID: "1.2.77", uidsGenerated: false, format: .dicom)
            description.patientID = patientID
            return description
        }
    }

    @Test("the worklist row and the study's instance carry a conflict badge naming the other Patient ID; other studies do not; EN and RU")
    func badge() async throws {
        let fixture = try await PanelFixture()
        try await Self.ingest(fixture, sopInstanceUID: "1.2.77.1", patientID: "P-1")
        try await Self.ingest(fixture, sopInstanceUID: "1.2.77.2", patientID: "P-1")
        try await Self.ingest(fixture, sopInstanceUID: "1.2.77.3", patientID: "P-2")
        try await fixture.panel.makeApplication().test(.router) { client in
            var browser = Browser(client)
            _ = try await browser.logIn(.technician)
            let html = String(buffer: try await browser.get("/studies").body)
            let rows = html.components(separatedBy: "<tr class=\"study\"").dropFirst().map { $0.components(separatedBy: "</tr>")[0] }
            let conflicted = try #require(rows.first { $0.contains("data-uid=\"1.2.77\"") })
            #expect(conflicted.contains("<span class=\"badge conflict\">Patient ID conflict: P-2</span>"))
            #expect(rows.count == 4 && rows.filter { $0.contains("badge conflict") }.count == 1)

            let study = String(buffer: try await browser.get("/studies/1.2.77").body)
            let instances = study.components(separatedBy: "<section class=\"instance\"").dropFirst().map { $0.components(separatedBy: "</section>")[0] }
            #expect(instances.count == 3)
            #expect(instances.filter { $0.contains("Patient ID conflict: P-2") }.count == 1)

            browser.acceptLanguage = "ru-RU,ru;q=0.9"
            #expect(String(buffer: try await browser.get("/studies").body).contains("Конфликт ID пациента: P-2"))
        }
    }
}
