import Foundation
import GRDB

extension StudyStore {
    /// The DICOM instances the box holds (blob present), narrowed to the given UIDs where a list
    /// is given; nil means no narrowing on that level. The caller applies the query's matching.
    public func queryableInstances(
        studyInstanceUIDs: [String]? = nil, seriesInstanceUIDs: [String]? = nil, sopInstanceUIDs: [String]? = nil
    ) throws(StoreError) -> [QueryableInstance] {
        var conditions = ["i.format = 'dicom'", "i.blobState = 'present'"]
        var arguments: [any DatabaseValueConvertible] = []
        for (column, values) in [("s.studyInstanceUID", studyInstanceUIDs), ("i.seriesInstanceUID", seriesInstanceUIDs), ("i.sopInstanceUID", sopInstanceUIDs)] {
            guard let values else { continue }
            guard !values.isEmpty else { return [] }
            conditions.append("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ",")))")
            arguments += values as [any DatabaseValueConvertible]
        }
        let sql = """
            SELECT i.* FROM instance i JOIN study s ON s.id = i.studyID
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY s.id, i.seriesInstanceUID, i.id
            """
        return try read("listing instances for a query") { db in
            let instances = try InstanceRecord.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            let studies = try StudyRecord.fetchAll(db, keys: Set(instances.map(\.studyID)))
            let byID = Dictionary(uniqueKeysWithValues: studies.map { ($0.id!, $0) })
            return instances.compactMap { instance in byID[instance.studyID].map { QueryableInstance(instance: instance, study: $0) } }
        }
    }

    /// Instances stored before the query keys were recorded (v8), up to `limit`: id and blob path.
    public func instancesAwaitingQueryKeys(limit: Int = 256) throws(StoreError) -> [(id: Int64, blobPath: String)] {
        try read("listing instances whose query keys are unread") { db in
            try Row.fetchAll(db, sql: "SELECT id, blobPath FROM instance WHERE queryKeysRead = 0 ORDER BY id LIMIT ?", arguments: [limit])
                .map { (id: $0["id"], blobPath: $0["blobPath"]) }
        }
    }

    /// Records what the backfill read from an instance's blob; nil keys when it could not be read
    /// (the row is not tried again).
    public func recordQueryKeys(instanceID: Int64, modality: String?, seriesNumber: String?, instanceNumber: String?) throws(StoreError) {
        try write("recording the query keys of instance \(instanceID)") { db in
            try db.execute(sql: """
                UPDATE instance SET modality = ?, seriesNumber = ?, instanceNumber = ?, queryKeysRead = 1 WHERE id = ?
                """, arguments: [modality, seriesNumber, instanceNumber, instanceID])
        }
    }
}
