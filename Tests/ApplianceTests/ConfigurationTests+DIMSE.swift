import DICOMNetwork
import Foundation
import StudyStore
import Testing
@testable import Appliance

extension ConfigurationTests {
    @Test("a dimse destination names a peer of dicom.peers; its commitment keys reach the sync settings")
    func dimseDestinations() throws {
        let environment = [
            "FLUOROBOX_OUTBOX_DESTINATIONS": "platform,dimse:PACS,dimse:VIEWER",
            "FLUOROBOX_DICOM_PEERS": "PACS=10.0.0.5:104,VIEWER=[fd00::7]:11112,MODALITY=10.0.0.9:104",
            "FLUOROBOX_SYNC_DIMSE_COMMITMENT": "PACS",
            "FLUOROBOX_SYNC_DIMSE_COMMITMENT_TIMEOUT_SECONDS": "600",
        ]
        let (configuration, _) = try ApplianceConfiguration.load(file: nil, environment: environment)
        #expect(configuration.destinations == [.platform, .dimse("PACS"), .dimse("VIEWER")])
        #expect(try configuration.dimsePeers() == [
            DICOMPeer(aeTitle: "PACS", host: "10.0.0.5", port: 104), DICOMPeer(aeTitle: "VIEWER", host: "fd00::7", port: 11112),
        ])
        let sync = try configuration.effectiveSync()
        #expect(sync.dimse.commitmentPeers == ["PACS"])
        #expect(sync.dimse.commitmentTimeoutSeconds == 600)
        #expect(sync.dimse.callingAETitle == configuration.dicom.aeTitle)
        #expect(Destination.dimse("PACS").dimseAETitle == "PACS" && Destination.dicomweb.dimseAETitle == nil)

        var unknown = environment
        unknown["FLUOROBOX_OUTBOX_DESTINATIONS"] = "dimse:ARCHIVE"
        let (misnamed, _) = try ApplianceConfiguration.load(file: nil, environment: unknown)
        #expect(throws: ConfigurationError.self) { try misnamed.dimsePeers() }
    }
}
