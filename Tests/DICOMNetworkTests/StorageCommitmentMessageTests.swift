import DICOM
import DICOMNetwork
import NIOCore
import Testing

@Suite("Storage commitment messages")
struct StorageCommitmentMessageTests {
    static let dx = "1.2.840.10008.5.1.4.1.1.1.1"

    @Test("N-ACTION-RQ round-trips its requested object and action type; its response names them as affected", arguments: [UInt16(1), 7])
    func actionCommand(_ actionType: UInt16) throws {
        let request = DIMSECommand.actionRequest(
            messageID: 9, sopClassUID: SOPClass.storageCommitmentPushModel,
            sopInstanceUID: SOPClass.storageCommitmentPushModelInstance, actionTypeID: actionType
        )
        let decoded = try DIMSECommand(decoding: request.encoded())
        #expect(decoded == request)
        #expect(decoded.kind == .actionRequest)
        #expect(decoded.requestedSOPClassUID == SOPClass.storageCommitmentPushModel)
        #expect(decoded.affectedSOPClassUID == nil)
        let response = try DIMSECommand(decoding: decoded.response(status: .success).encoded())
        #expect(response.kind == .actionResponse)
        #expect(response.affectedSOPClassUID == SOPClass.storageCommitmentPushModel)
        #expect(response.affectedSOPInstanceUID == SOPClass.storageCommitmentPushModelInstance)
        #expect(response.actionTypeID == actionType)
        #expect(response.messageIDBeingRespondedTo == 9)
    }

    @Test("N-EVENT-REPORT-RQ carries its event type", arguments: [UInt16(1), 2])
    func eventReportCommand(_ eventType: UInt16) throws {
        let request = DIMSECommand.eventReportRequest(
            messageID: 3, sopClassUID: SOPClass.storageCommitmentPushModel,
            sopInstanceUID: SOPClass.storageCommitmentPushModelInstance, eventTypeID: eventType
        )
        let decoded = try DIMSECommand(decoding: request.encoded())
        #expect(decoded.kind == .eventReportRequest)
        #expect(decoded.eventTypeID == eventType)
        #expect(decoded.hasDataSet)
    }

    @Test("the report reads back in either syntax: type 1 without a Failed SOP Sequence, type 2 with reasons", arguments: [TransferSyntax.implicitVRLittleEndian, .explicitVRLittleEndian])
    func reportRoundTrip(_ syntax: TransferSyntax) throws {
        let good = SOPReference(sopClassUID: Self.dx, sopInstanceUID: "1.2.3.4.5")
        let unknown = SOPReference(sopClassUID: Self.dx, sopInstanceUID: "1.2.3.4.6")
        let conflict = SOPReference(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: "1.2.3.4.5")
        let allGood = StorageCommitmentReport(transactionUID: "1.2.3.99", committed: [good], failed: [])
        #expect(allGood.eventTypeID == 1)
        let readAllGood = try DataSet(dataSetBytes: allGood.encoded(transferSyntax: syntax), transferSyntax: syntax)
        #expect(!readAllGood.contains(.failedSOPSequence))
        #expect(try StorageCommitmentReport(dataSet: readAllGood) == allGood)

        let mixed = StorageCommitmentReport(transactionUID: "1.2.3.99", committed: [good], failed: [
            .init(reference: unknown, reason: .noSuchObjectInstance), .init(reference: conflict, reason: .classInstanceConflict),
        ])
        #expect(mixed.eventTypeID == 2)
        let readMixed = try StorageCommitmentReport(dataSet: DataSet(dataSetBytes: mixed.encoded(transferSyntax: syntax), transferSyntax: syntax))
        #expect(readMixed == mixed)
        #expect(readMixed.failed.map(\.reason.rawValue) == [0x0112, 0x0119])
    }

    @Test("a request reads back; one without a Transaction UID or with an incomplete item is refused")
    func requestParsing() throws {
        let request = StorageCommitmentRequest(transactionUID: "1.2.3.100", references: [
            SOPReference(sopClassUID: Self.dx, sopInstanceUID: "1.2.3.4.5"), SOPReference(sopClassUID: Self.dx, sopInstanceUID: "1.2.3.4.7"),
        ])
        let bytes = request.encoded(transferSyntax: .implicitVRLittleEndian)
        #expect(try StorageCommitmentRequest(dataSet: DataSet(dataSetBytes: bytes, transferSyntax: .implicitVRLittleEndian)) == request)
        let noTransaction = StorageCommitmentRequest(transactionUID: "", references: request.references).encoded(transferSyntax: .explicitVRLittleEndian)
        #expect(throws: DICOMNetworkError.self) {
            try StorageCommitmentRequest(dataSet: DataSet(dataSetBytes: noTransaction, transferSyntax: .explicitVRLittleEndian))
        }
        let incomplete = StorageCommitmentRequest(transactionUID: "1.2.3.100", references: [SOPReference(sopClassUID: Self.dx, sopInstanceUID: "")])
            .encoded(transferSyntax: .explicitVRLittleEndian)
        #expect(throws: DICOMNetworkError.self) {
            try StorageCommitmentRequest(dataSet: DataSet(dataSetBytes: incomplete, transferSyntax: .explicitVRLittleEndian))
        }
    }

    @Test("dicom.peers entries: AE_TITLE=host:port, IPv6 in brackets; anything else is refused")
    func peers() throws {
        #expect(try DICOMPeer(parsing: "MODALITY=192.168.1.20:104") == DICOMPeer(aeTitle: "MODALITY", host: "192.168.1.20", port: 104))
        #expect(try DICOMPeer(parsing: " PACS = [fd00::5]:11112") == DICOMPeer(aeTitle: "PACS", host: "fd00::5", port: 11112))
        #expect(try DICOMPeer(parsing: "PACS=[fd00::5]:11112").description == "PACS=[fd00::5]:11112")
        for bad in ["MODALITY", "MODALITY=host", "MODALITY=host:0", "=host:104", "MODALITY=:104", "A_TITLE_LONGER_THAN_16=h:104", "BACK\\SLASH=h:104"] {
            #expect(throws: DICOMNetworkError.self, "\(bad)") { try DICOMPeer(parsing: bad) }
        }
    }
}
