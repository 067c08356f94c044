import DICOM

/// What a modality's N-ACTION (Action Type 1, "Request Storage Commitment") asks: that the box
/// commit to hold these instances (PS3.4 table J.3-1).
public struct StorageCommitmentRequest: Sendable, Hashable, Codable {
    public var transactionUID: String
    public var references: [SOPReference]

    public init(transactionUID: String, references: [SOPReference]) {
        self.transactionUID = transactionUID
        self.references = references
    }

    /// The N-ACTION's action type for a storage commitment request.
    public static let actionTypeID: UInt16 = 1

    /// Reads the N-ACTION data set; a request without its Transaction UID or with an item missing
    /// either UID cannot be answered, so it is an error, not a partial request.
    public init(dataSet: DataSet) throws(DICOMNetworkError) {
        guard let transaction = dataSet.string(.transactionUID), !transaction.isEmpty else {
            throw DICOMNetworkError(.malformedCommand, "storage commitment request without a Transaction UID (0008,1195)")
        }
        guard let items = dataSet.sequence(.referencedSOPSequence), !items.isEmpty else {
            throw DICOMNetworkError(.malformedCommand, "storage commitment request without items in the Referenced SOP Sequence (0008,1199)")
        }
        var references: [SOPReference] = []
        for (index, item) in items.enumerated() {
            guard let sopClass = item.string(.referencedSOPClassUID), !sopClass.isEmpty,
                  let sopInstance = item.string(.referencedSOPInstanceUID), !sopInstance.isEmpty else {
                throw DICOMNetworkError(.malformedCommand, "Referenced SOP Sequence item \(index + 1) lacks its SOP Class or Instance UID")
            }
            references.append(SOPReference(sopClassUID: sopClass, sopInstanceUID: sopInstance))
        }
        self.init(transactionUID: transaction, references: references)
    }

    /// The N-ACTION data set (what an SCU sends; the tests' own SCU uses it).
    public func encoded(transferSyntax: TransferSyntax) -> [UInt8] {
        let writer = CommitmentDataSetWriter(transferSyntax: transferSyntax)
        return writer.uid(.transactionUID, transactionUID)
            + writer.sequence(.referencedSOPSequence, references.map { writer.reference($0) })
    }
}
