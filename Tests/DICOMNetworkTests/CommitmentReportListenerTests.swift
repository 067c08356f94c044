import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Testing

/// The listener as storage commitment SCU on an association the committing peer opens (PS3.4
/// J.3.3.1.3), over real sockets: the box's own report sender (``CommitmentReportSCU``) plays
/// the peer; the answer follows what the receiver says of the report.
@Suite("Storage commitment reports on the peer's association")
struct CommitmentReportListenerTests {
    /// Records what reached it and answers as told.
    actor RecordingReports: CommitmentReportReceiver {
        enum Answer { case recorded, unknown, fails }
        let answer: Answer
        private(set) var reports: [(StorageCommitmentReport, String)] = []

        init(_ answer: Answer) { self.answer = answer }

        func received(_ report: StorageCommitmentReport, from callingAETitle: String) async throws -> CommitmentReportOutcome {
            reports.append((report, callingAETitle))
            switch answer {
            case .recorded: return .recorded
            case .unknown: return .unknownTransaction
            case .fails: throw DICOMNetworkError(.malformedCommand, "disk full")
            }
        }
    }

    static let report = StorageCommitmentReport(
        transactionUID: "1.2.826.0.1.3680043.10.543.99.1",
        committed: [SOPReference(sopClassUID: SOPClass.defaultStorage[0], sopInstanceUID: "1.2.3.4")],
        failed: [.init(reference: SOPReference(sopClassUID: SOPClass.defaultStorage[0], sopInstanceUID: "1.2.3.5"), reason: .noSuchObjectInstance)]
    )

    /// A listener taking reports from PACS, as `dicom.peers` = PACS and a modality list without it.
    func send(as calling: String, to reports: RecordingReports) async throws -> DIMSEStatus {
        let listener = DICOMListener(
            configuration: AcceptorConfiguration(
                aeTitle: "FLUOROBOX", acceptedCallingAETitles: ["CR1"], acceptsStorageCommitment: true, commitmentReportAETitles: ["PACS"]
            ),
            receiver: RefusingReceiver(), commitmentReports: reports, logger: quietLogger
        )
        let port = try await listener.bind(host: "127.0.0.1", port: 0)
        let serving = Task { try await listener.serve() }
        let sender = CommitmentReportSCU(callingAETitle: calling, calledAETitle: "FLUOROBOX", logger: quietLogger)
        do {
            let status = try await sender.send(Self.report, host: "127.0.0.1", port: port)
            await listener.close(grace: .milliseconds(200))
            _ = await serving.result
            return status
        } catch {
            await listener.close(grace: .milliseconds(200))
            _ = await serving.result
            throw error
        }
    }

    @Test("written: 0x0000, and the receiver has the report with the peer's AE title")
    func recorded() async throws {
        let reports = RecordingReports(.recorded)
        #expect(try await send(as: "PACS", to: reports) == .success)
        let received = await reports.reports
        #expect(received.count == 1)
        #expect(received.first?.0 == Self.report && received.first?.1 == "PACS")
    }

    @Test("a transaction nothing awaits: 0x0115 invalid argument value; a write that fails: 0x0110")
    func refusals() async throws {
        #expect(try await send(as: "PACS", to: RecordingReports(.unknown)) == .invalidArgumentValue)
        #expect(try await send(as: "PACS", to: RecordingReports(.fails)) == .processingFailure)
    }

    @Test("an AE title not in dicom.peers gets no association for it; the receiver never hears of it")
    func stranger() async throws {
        let reports = RecordingReports(.recorded)
        await #expect(throws: DICOMNetworkError.self) { try await send(as: "INTRUDER", to: reports) }
        // An accepted modality that is no peer is not granted the SCP role either.
        await #expect(throws: DICOMNetworkError.self) { try await send(as: "CR1", to: reports) }
        #expect(await reports.reports.isEmpty)
    }
}

/// C-STORE is not what these tests send.
struct RefusingReceiver: InstanceReceiver {
    func begin(_ instance: IncomingInstance) async -> InstanceReception {
        .refuse(.processingFailure, comment: "not in this test")
    }
}
