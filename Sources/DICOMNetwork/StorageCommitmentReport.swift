import DICOM

/// The box's answer to a storage commitment request, sent as N-EVENT-REPORT (PS3.4 table J.3-2):
/// the instances it holds durably, and the ones it does not with the reason.
public struct StorageCommitmentReport: Sendable, Hashable {
    public struct Failure: Sendable, Hashable {
        public var reference: SOPReference
        /// Failure Reason (0008,1197): 0x0112 no such object instance, 0x0119 class-instance
        /// conflict, 0x0110 processing failure.
        public var reason: DIMSEStatus

        public init(reference: SOPReference, reason: DIMSEStatus) {
            self.reference = reference
            self.reason = reason
        }
    }

    public var transactionUID: String
    public var committed: [SOPReference]
    public var failed: [Failure]

    public init(transactionUID: String, committed: [SOPReference], failed: [Failure]) {
        self.transactionUID = transactionUID
        self.committed = committed
        self.failed = failed
    }

    /// Event Type ID: 1 when every instance is committed, 2 when any failed.
    public var eventTypeID: UInt16 { failed.isEmpty ? 1 : 2 }

    /// The N-EVENT-REPORT data set. Event type 1 carries no Failed SOP Sequence; type 2 carries
    /// it and the Referenced SOP Sequence only when something succeeded (both type 1C).
    public func encoded(transferSyntax: TransferSyntax) -> [UInt8] {
        let writer = CommitmentDataSetWriter(transferSyntax: transferSyntax)
        var bytes = writer.uid(.transactionUID, transactionUID)
        if !failed.isEmpty {
            bytes += writer.sequence(.failedSOPSequence, failed.map { writer.reference($0.reference) + writer.us(.failureReason, $0.reason.rawValue) })
        }
        if !committed.isEmpty {
            bytes += writer.sequence(.referencedSOPSequence, committed.map { writer.reference($0) })
        }
        return bytes
    }

    /// Reads an N-EVENT-REPORT data set (the tests read what the box sends with it).
    public init(dataSet: DataSet) throws(DICOMNetworkError) {
        guard let transaction = dataSet.string(.transactionUID) else {
            throw DICOMNetworkError(.malformedCommand, "storage commitment report without a Transaction UID")
        }
        func reference(_ item: DataSet) -> SOPReference {
            SOPReference(sopClassUID: item.string(.referencedSOPClassUID) ?? "", sopInstanceUID: item.string(.referencedSOPInstanceUID) ?? "")
        }
        var failures: [Failure] = []
        for item in dataSet.sequence(.failedSOPSequence) ?? [] {
            let reason = (try? item.integer(.failureReason)).flatMap { $0 }.map { DIMSEStatus(rawValue: UInt16(truncatingIfNeeded: $0)) }
            failures.append(Failure(reference: reference(item), reason: reason ?? .processingFailure))
        }
        self.init(transactionUID: transaction, committed: (dataSet.sequence(.referencedSOPSequence) ?? []).map(reference), failed: failures)
    }
}

/// Encodes the few elements storage commitment data sets hold, in the context's syntax
/// (implicit or explicit VR little endian), sequences and items with defined lengths.
struct CommitmentDataSetWriter {
    let encoder: DataElementEncoder

    init(transferSyntax: TransferSyntax) {
        encoder = DataElementEncoder(explicit: transferSyntax.isExplicitVR, bigEndian: false)
    }

    /// The syntaxes a storage commitment context is accepted in: its data sets are small and
    /// built here, so only the two plain little-endian ones.
    static let transferSyntaxes: [TransferSyntax] = [.implicitVRLittleEndian, .explicitVRLittleEndian]

    func uid(_ tag: Tag, _ value: String) -> [UInt8] {
        encoder.encode(tag, .UI, text: value)
    }

    func us(_ tag: Tag, _ value: UInt16) -> [UInt8] {
        encoder.encode(tag, .US, value: [UInt8(value & 0xFF), UInt8(value >> 8)])
    }

    func reference(_ reference: SOPReference) -> [UInt8] {
        uid(.referencedSOPClassUID, reference.sopClassUID) + uid(.referencedSOPInstanceUID, reference.sopInstanceUID)
    }

    func sequence(_ tag: Tag, _ items: [[UInt8]]) -> [UInt8] {
        var value: [UInt8] = []
        for item in items {
            value += [0xFE, 0xFF, 0x00, 0xE0] + length(item.count) + item
        }
        return encoder.encode(tag, .SQ, value: value)
    }

    private func length(_ count: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: UInt32(count) >> (8 * $0)) }
    }
}
