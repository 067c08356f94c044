/// What the query/retrieve SCP answers from: implemented above this room (by the store), so
/// DICOMNetwork matches and sends, and never learns where instances live.
public protocol InstanceArchive: Sendable {
    /// The instances held now, narrowed to these UIDs where a list is given (nil: any). The
    /// listener applies the query's full matching to what comes back.
    func instances(studyInstanceUIDs: [String]?, seriesInstanceUIDs: [String]?, sopInstanceUIDs: [String]?) async throws -> [ArchivedInstance]

    /// The instance's Part 10 file, as stored.
    func part10(of instance: ArchivedInstance) async throws -> [UInt8]
}
