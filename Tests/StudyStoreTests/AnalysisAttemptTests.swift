import FluoroboxTestSupport
import Foundation
import GRDB
import Testing
@testable import StudyStore

/// An image that kills whoever reads it cannot loop: every attempt is counted before the image
/// is read, and recovery ends the analysis once the attempts are used up.
@Suite("Analysis attempts, failures for good, retry and dismiss")
struct AnalysisAttemptTests {
    @Test("an analysis the agent died in at every attempt fails for good at start-up instead of being re-queued")
    func crashLoopEnds() async throws {
        let fixture = try StoreFixture()
        let receipt = try await fixture.ingest(SyntheticDICOM.randomBytes(3000), sopInstanceUID: "1.2.40.1", analyses: ["chest-findings"])
        // Claim, then "die" (nothing recorded), then recover: as many times as there are attempts.
        for attempt in 1...3 {
            let claimed = try #require(try fixture.store.claimNextAnalysis(tasks: ["chest-findings"]))
            #expect(claimed.analysis.attempts == attempt && claimed.instance.id == receipt.instanceID)
            let report = try fixture.store.recover()
            #expect(report.failedAnalyses == (attempt == 3 ? 1 : 0))
            #expect(report.requeuedAnalyses == (attempt == 3 ? 0 : 1))
        }
        #expect(try fixture.store.claimNextAnalysis(tasks: ["chest-findings"]) == nil, "the third death ends the loop")
        let failed = try fixture.store.failedAnalyses()
        #expect(failed.count == 1)
        #expect(failed.first?.attempts == 3)
        #expect(failed.first?.reason.contains("stopped during this analysis 3 time(s)") == true)
        #expect(failed.first?.sopInstanceUID == "1.2.40.1")
        #expect(try fixture.count("auditEvent", where: "kind = 'analysis.failed'") == 1)
    }

    @Test("the attempt limit is configuration")
    func configuredLimit() async throws {
        let folder = TemporaryDirectory("attempt-limit")
        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")), analysisAttemptLimit: 1), logger: quietLogger
        )
        _ = try await store.ingest(.bytes(SyntheticDICOM.randomBytes(2000)), origin: IntakeOrigin(source: .import, analyses: ["t"])) { _ in
            InstanceDescription(sopInstanceUID: "1.2.40.2", studyInstanceUID: "1.2.40", uidsGenerated: false, format: .dicom)
        }
        let claimed = try #require(try store.claimNextAnalysis(tasks: ["t"]))
        try store.failAnalysis(id: claimed.analysis.id!, reason: "the model could not load", retryable: true)
        // A retryable failure at the first attempt is final when only one attempt is allowed.
        #expect(try store.failedAnalyses().first?.reason == "the model could not load")
        #expect(try store.claimNextAnalysis(tasks: ["t"]) == nil)
    }

    @Test("a technician's retry queues a failed analysis again with fresh attempts; a dismissal keeps it failed and unlisted; both audited")
    func retryAndDismiss() async throws {
        let fixture = try StoreFixture()
        _ = try await fixture.ingest(SyntheticDICOM.randomBytes(3000), sopInstanceUID: "1.2.41.1", analyses: ["t"])
        _ = try await fixture.ingest(SyntheticDICOM.randomBytes(3000), sopInstanceUID: "1.2.41.2", analyses: ["t"])
        for _ in 0..<2 {
            let claimed = try #require(try fixture.store.claimNextAnalysis(tasks: ["t"]))
            try fixture.store.failAnalysis(id: claimed.analysis.id!, reason: "cannot read the image: test", retryable: false)
        }
        let failed = try fixture.store.failedAnalyses()
        #expect(failed.count == 2)
        let (first, second) = (failed[1].id, failed[0].id)

        #expect(throws: StoreError.self) { try fixture.store.dismissAnalysis(id: 999, by: "tech") }
        try fixture.store.retryAnalysis(id: first, by: "technician (panel)")
        try fixture.store.dismissAnalysis(id: second, by: "technician (panel)")
        #expect(try fixture.store.failedAnalyses().isEmpty)
        // A second dismissal is refused with who dismissed it first, not silently accepted.
        let twice = #expect(throws: StoreError.self) { try fixture.store.dismissAnalysis(id: second, by: "doctor (panel)") }
        #expect(twice?.code == .wrongState && twice?.detail.contains("already dismissed by technician (panel)") == true)
        let again = try #require(try fixture.store.claimNextAnalysis(tasks: ["t"]))
        #expect(again.analysis.id == first && again.analysis.attempts == 1)
        #expect(throws: StoreError.self) { try fixture.store.retryAnalysis(id: first, by: "tech") }   // running, not failed
        #expect(try fixture.count("analysis", where: "id = \(second) AND status = 'failed' AND dismissedBy = 'technician (panel)'") == 1)
        #expect(try fixture.count("auditEvent", where: "kind = 'analysis.retried' AND message LIKE 'technician (panel)%'") == 1)
        #expect(try fixture.count("auditEvent", where: "kind = 'analysis.dismissed'") == 1)
    }

    @Test("an instance whose Study Instance UID belongs to another Patient ID is flagged, audited and listed, not merged silently")
    func studyOfAnotherPatient() async throws {
        let fixture = try StoreFixture()
        func describe(_ sop: String, patient: String) -> @Sendable (StagedBlob) throws -> InstanceDescription {
            { _ in
                var description = InstanceDescription(sopInstanceUID: sop, studyInstanceUID: "1.2.42", uidsGenerated: false, format: .dicom)
                description.patientID = patient
                return description
            }
        }
        _ = try await fixture.store.ingest(.bytes(SyntheticDICOM.randomBytes(2000)), origin: IntakeOrigin(source: .dicomSCP), describe: describe("1.2.42.1", patient: "P-1"))
        _ = try await fixture.store.ingest(.bytes(SyntheticDICOM.randomBytes(2000)), origin: IntakeOrigin(source: .dicomSCP), describe: describe("1.2.42.2", patient: "P-1"))
        _ = try await fixture.store.ingest(.bytes(SyntheticDICOM.randomBytes(2000)), origin: IntakeOrigin(source: .dicomSCP), describe: describe("1.2.42.3", patient: "P-2"))
        let study = try #require(try fixture.store.listStudies().first)
        #expect(study.patientID == "P-1")
        let flagged = study.instances.filter { $0.conflictingPatientID != nil }
        #expect(flagged.map(\.sopInstanceUID) == ["1.2.42.3"])
        #expect(flagged.first?.conflictingPatientID == "P-2")
        #expect(try fixture.count("auditEvent", where: "kind = 'instance.patient-conflict' AND severity = 'warning'") == 1)
    }
}
