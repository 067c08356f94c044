/// One stored DICOM instance as query/retrieve sees it: its row and its study's.
public struct QueryableInstance: Sendable, Hashable {
    public var instance: InstanceRecord
    public var study: StudyRecord
}
