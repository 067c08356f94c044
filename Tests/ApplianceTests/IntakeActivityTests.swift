@testable import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import StudyStore
import Testing

/// What keeps an OS update's reboot in the maintenance window from landing in the middle of a
/// patient: an open DICOM association on the agent's real listener, an image waiting for its
/// analysis, an image received within the quiet period.
struct IntakeActivityTests {
    static func requestor() -> RequestorConfiguration {
        RequestorConfiguration(
            callingAETitle: "MODALITY", calledAETitle: "FLUOROBOX",
            presentationContexts: [
                ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]),
            ]
        )
    }

    @Test("busy while a modality holds an association open, an image waits for analysis, or one arrived within the quiet period; quiet otherwise")
    func busyReasons() async throws {
        let folder = TemporaryDirectory("intake-activity")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data"))), logger: quietLogger)
        let activity = IntakeActivity()
        #expect(await activity.busyReason(store: store, quietSeconds: 600) == nil, "an empty box with no listener is quiet")

        // The agent's listener, as DICOMListenerService runs it: an open association is activity.
        var settings = DICOMListenerSettings()
        let port = LoopbackPort.free()
        settings.port = port
        settings.bindAddress = "127.0.0.1"
        let service = DICOMListenerService(
            settings: settings, store: store, gate: ReadinessGate(expecting: [DICOMListenerService.name]), agentState: nil,
            activity: activity, logger: quietLogger
        )
        let serving = Task { try await service.run() }
        defer { serving.cancel() }
        try await Self.waitUntilListening(port)
        #expect(try await Self.eventually { await activity.busyReason(store: store, quietSeconds: 600) == nil }, "the probe's association is over")
        let during = try await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: Self.requestor(), logger: quietLogger) { association in
            _ = try await association.echo()
            return await activity.busyReason(store: store, quietSeconds: 600)
        }
        #expect(during == "1 DICOM association is open", "\(during ?? "quiet")")
        #expect(try await Self.eventually { await activity.busyReason(store: store, quietSeconds: 600) == nil }, "released: quiet again")

        // An image queued for analysis, then the same image analysed but received just now.
        let file = folder.file("image.dcm")
        try Data(try SyntheticDICOM.make()).write(to: URL(fileURLWithPath: file))
        guard case .acknowledged = await FileIntake(store: store, analyses: ["chest"]).ingest(path: file, source: .import) else {
            Issue.record("the image was not filed")
            return
        }
        #expect(await activity.busyReason(store: store, quietSeconds: 600) == "1 image waits for analysis")
        let other = folder.file("other.dcm")
        try Data(try SyntheticDICOM.make()).write(to: URL(fileURLWithPath: other))
        let quietFolder = TemporaryDirectory("intake-activity-quiet")
        let quietStore = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: quietFolder.file("data"))), logger: quietLogger)
        guard case .acknowledged = await FileIntake(store: quietStore).ingest(path: other, source: .import) else {
            Issue.record("the image was not filed")
            return
        }
        let arrived = await activity.busyReason(store: quietStore, quietSeconds: 600)
        #expect(arrived?.hasPrefix("an image arrived") == true && arrived?.hasSuffix("(quiet period 600 s)") == true, "\(arrived ?? "quiet")")
        #expect(await activity.busyReason(store: quietStore, quietSeconds: 600, now: Date().addingTimeInterval(601)) == nil, "quiet once the period passed")
    }

    /// Until the service's listener accepts a connection.
    static func waitUntilListening(_ port: Int) async throws {
        for _ in 0..<100 {
            if (try? await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: requestor(), logger: quietLogger) { try await $0.echo() }) != nil {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the listener on \(port) never answered")
    }

    static func eventually(_ condition: () async -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
