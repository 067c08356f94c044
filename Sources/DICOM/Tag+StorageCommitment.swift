extension Tag {
    // Storage Commitment Push Model (PS3.4 annex J, tables J.3-1 and J.3-2).
    public static let transactionUID = Tag(0x0008, 0x1195)
    public static let failureReason = Tag(0x0008, 0x1197)
    public static let failedSOPSequence = Tag(0x0008, 0x1198)
}
