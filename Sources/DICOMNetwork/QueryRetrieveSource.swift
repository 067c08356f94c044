/// What the listener's query/retrieve SCP needs: where instances come from, and the AE titles
/// C-MOVE may send to (`dicom.peers`; any other destination is refused with 0xA801).
public struct QueryRetrieveSource: Sendable {
    public var archive: any InstanceArchive
    public var moveDestinations: [DICOMPeer]

    public init(archive: any InstanceArchive, moveDestinations: [DICOMPeer]) {
        self.archive = archive
        self.moveDestinations = moveDestinations
    }
}
