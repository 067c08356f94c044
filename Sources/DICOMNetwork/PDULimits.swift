/// Hard limits the PDU reader enforces before it allocates or loops on anything a peer says.
public struct PDULimits: Sendable, Hashable {
    /// Largest P-DATA-TF PDU accepted: the maximum length this side advertised. A peer that sends
    /// more is aborted, so a hostile length never makes the reader buffer more than this.
    public var maximumDataPDULength: Int

    /// A-ASSOCIATE-RQ/AC PDUs: 128 contexts with many transfer syntaxes each fit well inside.
    public var maximumAssociationPDULength: Int = 256 * 1024
    /// Presentation context IDs are odd numbers from 1 to 255.
    public var maximumPresentationContexts: Int = 128
    public var maximumTransferSyntaxesPerContext: Int = 64
    public var maximumUserInformationItems: Int = 256
    /// Items of any kind in one association PDU, known or not.
    public var maximumItems: Int = 1024

    public init(maximumDataPDULength: Int) {
        self.maximumDataPDULength = maximumDataPDULength
    }

    /// What a PDU of `kind` may be at most (the variable part after the 6-byte header).
    public func maximumLength(of kind: PDU.Kind) -> Int {
        switch kind {
        case .data: maximumDataPDULength
        case .associateRequest, .associateAccept: maximumAssociationPDULength
        case .associateReject, .releaseRequest, .releaseResponse, .abort: 4
        }
    }
}
